/**
 * `match`: Alloy's `stage.match`. Tests each entry against a LogQL stream selector with
 * optional line filters, `{app="api", level=~"warn|error"} |= "timeout" != "retry"`. With
 * `action: 'keep'` (the default) the nested `stages` run on matching entries only; other
 * entries skip them. With `action: 'drop'`, matching entries are dropped, counted under
 * `dropCounterReason` (`'match_stage'` unless set). Label matchers see the labels as they are
 * when the entry reaches the stage.
 */
import { ConfigError } from '../../core/errors.js';
import { parseSelector } from './logql-selector.js';
import { describe, objectOption, optionalString, requiredString } from './options.js';
import { compileStage, Stage, type StepInstance } from './stage.js';

/** Options of {@link match}. */
export interface MatchStageOptions {
  /** A LogQL selector with optional line filters, such as `'{app="api"} |= "error"'`. */
  readonly selector: string;
  /** The stages matching entries go through; required for `'keep'`, not allowed for `'drop'`. */
  readonly stages?: readonly Stage[];
  /** Run `stages` on matching entries, or drop them. @defaultValue `'keep'` */
  readonly action?: 'keep' | 'drop';
  /** The reason drops are counted under. @defaultValue `'match_stage'` */
  readonly dropCounterReason?: string;
}

/**
 * Runs stages on, or drops, the entries a selector matches.
 *
 * @example
 * ```ts
 * processLogs(
 *   match({ selector: '{app="nginx"}', stages: [regex({ expression: '" (?P<status>\\d{3}) ' }), labels(['status'])] }),
 *   match({ selector: '{app="api"} |~ "GET /health"', action: 'drop', dropCounterReason: 'healthcheck' }),
 * );
 * ```
 */
export function match(options: MatchStageOptions): Stage {
  const stage = 'match';
  objectOption(stage, options);
  const text = requiredString(stage, 'selector', options.selector);
  let selector: ReturnType<typeof parseSelector>;
  try {
    selector = parseSelector(text);
  } catch (error) {
    throw new ConfigError(stage, 'selector', `is not a valid LogQL selector: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const action = options.action ?? 'keep';
  if (action !== 'keep' && action !== 'drop') {
    throw new ConfigError(stage, 'action', `must be 'keep' or 'drop', got ${describe(action)}`);
  }
  const stages = options.stages ?? [];
  if (!Array.isArray(stages))
    throw new ConfigError(stage, 'stages', `must be a list of stages, got ${describe(stages)}`);
  stages.forEach((s: unknown, i) => {
    if (!(s instanceof Stage))
      throw new ConfigError(stage, `stages[${i}]`, 'must be a stage made by a stage function such as json()');
  });
  if (action === 'keep' && stages.length === 0) {
    throw new ConfigError(stage, 'stages', "must hold at least one stage when action is 'keep'");
  }
  if (action === 'drop' && stages.length > 0) {
    throw new ConfigError(stage, 'stages', "must be empty when action is 'drop'");
  }
  const reason = optionalString(stage, 'dropCounterReason', options.dropCounterReason) ?? 'match_stage';
  return new Stage(stage, (list) => {
    let end = 0;
    const instance: StepInstance = {
      process(entry, run) {
        if (!selector.matches(entry.labels, entry.line)) return end;
        return action === 'drop' ? run.drop(entry, reason) : undefined;
      },
    };
    list.steps.push({ type: stage, create: () => instance });
    for (const nested of stages) compileStage(nested, list);
    end = list.steps.length;
  });
}
