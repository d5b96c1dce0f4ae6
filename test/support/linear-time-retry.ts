// assertLinearTime (linear-time.ts), shape by shape, measuring a failing shape again before failing it.
import { ADVERSARIAL_SHAPES, assertLinearTime } from './linear-time';

/**
 * assertLinearTime for each shape on its own, a failing shape measured again up to `attempts` times in all. For
 * fns whose expected ratio sits near the bound — a capped fn doing 2-3× the work on 100 kB that it does on 25 kB
 * (bound 8×), or one allocating megabyte strings (a cold cache on 1 MB): one garbage-collection pause in a batch
 * of a few calls then fails them. A super-linear fn fails every attempt, being hundreds of times over.
 */
export function assertLinearTimeRetrying(fn: (text: string) => unknown, shapes: typeof ADVERSARIAL_SHAPES = ADVERSARIAL_SHAPES, attempts = 3): void {
  for (const shape of shapes) {
    for (let attempt = 1; ; attempt++) {
      try {
        assertLinearTime(fn, [shape]);
        break;
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  }
}
