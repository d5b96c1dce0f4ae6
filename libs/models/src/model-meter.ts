import type { ChatModelPrice } from '@app/config';
import { modelCost, modelRequestDuration, modelTokens } from '@app/observability';
import { costUsd } from './model-prices';
import { ModelKind, ModelUsage } from './model-usage';

/** Records the per-model metrics of one kind of call: duration of each request, tokens both ways, cost. */
export class ModelMeter {
  constructor(
    private readonly kind: ModelKind,
    private readonly prices: Readonly<Record<string, ChatModelPrice>> = {},
  ) {}

  /** Starts timing one request; the returned function records its duration when it ended (however it ended). */
  startRequest(model: string): () => void {
    const end = modelRequestDuration.startTimer({ kind: this.kind, model });
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      end();
    };
  }

  /** Counts what one successful call used and cost. */
  recordUsage(model: string, usage: ModelUsage): void {
    if (usage.promptTokens > 0) modelTokens.inc({ kind: this.kind, model, direction: 'input' }, usage.promptTokens);
    if (usage.completionTokens > 0) modelTokens.inc({ kind: this.kind, model, direction: 'output' }, usage.completionTokens);
    const cost = costUsd(model, usage, this.prices);
    if (cost !== null && cost > 0) modelCost.inc({ kind: this.kind, model }, cost);
  }
}
