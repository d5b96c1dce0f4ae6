/**
 * The channel between pdfjs's two halves when both run in this process (Node has no web worker for it). pdfjs's
 * own LoopbackPort passes every message through structuredClone, which serialises and deserialises it: for
 * text extraction that is every page's text items (strings, six-number transforms), about a tenth of the
 * extraction process's CPU on a real book (long_infdesc_626p.pdf, --cpu-prof) plus the garbage it leaves.
 *
 * This port copies messages in plain JavaScript instead: strings are immutable and shared, plain objects and
 * arrays are copied as structuredClone copies them (a new `{}` or `[]` per level, so a sender that reuses or
 * empties an object after posting it — pdfjs empties its text-content batch — cannot change what was sent),
 * typed arrays and buffers are copied unless the sender transferred them (it then gives them up, so sharing is
 * what transferring means). Anything else (errors, class instances, maps) still goes through structuredClone,
 * so what crosses for those is exactly what crossed before. Messages are delivered asynchronously, in order,
 * as LoopbackPort delivers them.
 */
export class SameThreadPort {
  private readonly listeners = new Map<(event: { data: unknown }) => void, () => void>();
  private deferred: Promise<void> = Promise.resolve();

  postMessage(message: unknown, transfer?: readonly unknown[] | null): void {
    const event = { data: copyMessage(message, transfer?.length ? new Set(transfer) : NOTHING_TRANSFERRED) };
    this.deferred.then(() => {
      for (const listener of this.listeners.keys()) listener.call(this, event);
    });
  }

  addEventListener(_name: string, listener: (event: { data: unknown }) => void, options?: { signal?: AbortSignal } | null): void {
    const signal = options?.signal;
    if (signal?.aborted) return;
    const onAbort = () => this.removeEventListener(_name, listener);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.listeners.set(listener, () => signal?.removeEventListener('abort', onAbort));
  }

  removeEventListener(_name: string, listener: (event: { data: unknown }) => void): void {
    this.listeners.get(listener)?.();
    this.listeners.delete(listener);
  }

  terminate(): void {
    for (const stop of this.listeners.values()) stop();
    this.listeners.clear();
  }
}

/** What a message posted without a transfer list transferred: nothing (one set for all of them). */
const NOTHING_TRANSFERRED: ReadonlySet<unknown> = new Set();

/** A copy of `value` as the receiving side of a structured clone would see it (see SameThreadPort). */
export function copyMessage(value: unknown, transferred: ReadonlySet<unknown>): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? structuredClone(value) : value;
  // Arrays and plain objects copy their primitive members in place, without a call each: a text item's six
  // numbers and its strings are most of what crosses, and this made the copy about a third cheaper.
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyMember(value[i], transferred);
    return copy;
  }
  if (ArrayBuffer.isView(value)) return transferred.has(value.buffer) ? value : structuredClone(value);
  if (value instanceof ArrayBuffer) return transferred.has(value) ? value : value.slice(0);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyMember((value as Record<string, unknown>)[key], transferred);
  return copy;
}

function copyMember(value: unknown, transferred: ReadonlySet<unknown>): unknown {
  return typeof value === 'object' && value !== null ? copyMessage(value, transferred) : typeof value === 'function' ? structuredClone(value) : value;
}
