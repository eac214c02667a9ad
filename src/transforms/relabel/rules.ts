/**
 * Relabelling rules: the rule type, with Prometheus's `relabel_config` fields in camelCase,
 * and its validation and compilation. Validation follows Prometheus's `relabel.Config`
 * (`UnmarshalYAML` then `Validate`) check for check and in the same order, so a rule Prometheus
 * rejects is rejected here, and the first problem reported is the one Prometheus reports.
 */
import { ConfigError } from '../../core/errors.js';
import { parseTemplate, type Template } from './expand.js';
import { compileRegex, type RelabelRegex } from './regex.js';

/** What a rule does. Prometheus also accepts these in any case (`Replace`, `DROP`). */
export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

/** The actions, in the order error messages list them. */
export const RELABEL_ACTIONS: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
];

/**
 * One relabelling rule, as Prometheus's `relabel_config` and Alloy's `rule` block.
 *
 * @example
 * ```ts
 * const rules: RelabelRule[] = [
 *   { action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' },
 *   { sourceLabels: ['instance'], regex: '([^:]+):\\d+', targetLabel: 'host' },
 * ];
 * ```
 */
export interface RelabelRule {
  /** Labels whose values are joined with `separator` to make the value the rule looks at. */
  readonly sourceLabels?: readonly string[];
  /** What joins the source label values. @defaultValue `';'` */
  readonly separator?: string;
  /** The label a `replace`, `hashmod`, `lowercase`, `uppercase`, `keepequal` or `dropequal` writes or reads. */
  readonly targetLabel?: string;
  /** An RE2 regex, anchored at both ends. @defaultValue `'(.*)'` */
  readonly regex?: string;
  /** The modulus of `hashmod`. */
  readonly modulus?: number | bigint;
  /** What `replace` writes, and what `labelmap` renames to; `$1`, `${name}` refer to groups. @defaultValue `'$1'` */
  readonly replacement?: string;
  /** What the rule does. @defaultValue `'replace'` */
  readonly action?: RelabelAction;
}

/** A validated rule, ready to apply. */
export interface CompiledRule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly targetLabel: string;
  readonly regex: RelabelRegex;
  /** The regex is the default `(.*)`. */
  readonly defaultRegex: boolean;
  readonly modulus: bigint;
  readonly replacement: string;
  /** `targetLabel` as a template (for `replace`). */
  readonly targetTemplate: Template;
  /** `replacement` as a template (for `replace` and `labelmap`). */
  readonly replacementTemplate: Template;
}

const DEFAULT_SEPARATOR = ';';
const DEFAULT_REGEX = '(.*)';
const DEFAULT_REPLACEMENT = '$1';
const FIELDS = [
  'sourceLabels',
  'separator',
  'targetLabel',
  'regex',
  'modulus',
  'replacement',
  'action',
] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus's `relabelTarget`: label name characters and `$1`, `${1}`, `$name`, `${name}`. */
const TEMPLATED_NAME = compileRegex('(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+');
let defaultRegex: RelabelRegex | undefined;

/** Whether `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/**
 * Validates and compiles rules.
 *
 * @throws ConfigError naming `rules[i].field` for the first invalid rule.
 */
export function compileRules(rules: readonly RelabelRule[], component: string): CompiledRule[] {
  if (!Array.isArray(rules)) throw new ConfigError(component, 'rules', 'must be an array of relabel rules');
  return rules.map((rule, i) => compileRule(rule, `rules[${i}]`, component));
}

function compileRule(rule: RelabelRule, path: string, component: string): CompiledRule {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(component, field === '' ? path : `${path}.${field}`, problem);
  };
  if (typeof rule !== 'object' || rule === null) return fail('', 'must be an object');
  for (const key of Object.keys(rule)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      fail(key, `is not a relabel rule field; the fields are ${FIELDS.join(', ')}`);
    }
  }

  // What Prometheus checks while unmarshalling: types, the action's name, label names, the regex.
  const action = rule.action === undefined ? 'replace' : parseAction(rule.action, fail);
  const sourceLabels = rule.sourceLabels ?? [];
  if (rule.sourceLabels !== undefined && !Array.isArray(rule.sourceLabels)) {
    fail('sourceLabels', 'must be an array of label names');
  }
  sourceLabels.forEach((name, j) => {
    if (typeof name !== 'string' || !isValidLabelName(name)) {
      fail(
        `sourceLabels[${j}]`,
        `${JSON.stringify(name)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`,
      );
    }
  });
  const separator = stringField(rule, 'separator', DEFAULT_SEPARATOR, fail);
  const targetLabel = stringField(rule, 'targetLabel', '', fail);
  const replacement = stringField(rule, 'replacement', DEFAULT_REPLACEMENT, fail);
  const regexSource = stringField(rule, 'regex', DEFAULT_REGEX, fail);
  const modulus = parseModulus(rule.modulus, fail);
  let regex: RelabelRegex;
  if (regexSource === DEFAULT_REGEX) {
    defaultRegex ??= compileRegex(DEFAULT_REGEX);
    regex = defaultRegex;
  } else {
    try {
      regex = compileRegex(regexSource);
    } catch (error) {
      return fail(
        'regex',
        `${JSON.stringify(regexSource)} is not a valid RE2 regex: ${(error as Error).message}`,
      );
    }
  }

  // Prometheus's Config.Validate, in its order.
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
  const targetOnly = ['lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (action === 'hashmod' && modulus === 0n) {
    fail('modulus', "must be a positive integer for action 'hashmod'");
  }
  if (needsTarget.includes(action) && targetLabel === '') {
    fail('targetLabel', `is required for action '${action}'`);
  }
  if (action === 'replace' && !targetLabel.includes('$') && !isValidLabelName(targetLabel)) {
    fail('targetLabel', `${JSON.stringify(targetLabel)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
  }
  if (action === 'replace' && targetLabel.includes('$') && !TEMPLATED_NAME.test(targetLabel)) {
    fail(
      'targetLabel',
      `${JSON.stringify(targetLabel)} is not a valid label name template (label name characters and $1, \${1}, $name or \${name})`,
    );
  }
  if (targetOnly.includes(action) && !isValidLabelName(targetLabel)) {
    fail('targetLabel', `${JSON.stringify(targetLabel)} is not a valid label name for action '${action}'`);
  }
  if (targetOnly.includes(action) && replacement !== DEFAULT_REPLACEMENT) {
    fail('replacement', `cannot be set for action '${action}'`);
  }
  if (action === 'labelmap' && !TEMPLATED_NAME.test(replacement)) {
    fail(
      'replacement',
      `${JSON.stringify(replacement)} is not a valid label name template for action 'labelmap' (label name characters and $1, \${1}, $name or \${name})`,
    );
  }
  if (action === 'hashmod' && !isValidLabelName(targetLabel)) {
    fail('targetLabel', `${JSON.stringify(targetLabel)} is not a valid label name for action 'hashmod'`);
  }
  if (action === 'keepequal' || action === 'dropequal') {
    const extra =
      regexSource !== DEFAULT_REGEX
        ? 'regex'
        : modulus !== 0n
          ? 'modulus'
          : separator !== DEFAULT_SEPARATOR
            ? 'separator'
            : replacement !== DEFAULT_REPLACEMENT
              ? 'replacement'
              : undefined;
    if (extra !== undefined) {
      fail(extra, `cannot be set for action '${action}', which takes only sourceLabels and targetLabel`);
    }
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    const extra =
      rule.sourceLabels !== undefined
        ? 'sourceLabels'
        : targetLabel !== ''
          ? 'targetLabel'
          : modulus !== 0n
            ? 'modulus'
            : separator !== DEFAULT_SEPARATOR
              ? 'separator'
              : replacement !== DEFAULT_REPLACEMENT
                ? 'replacement'
                : undefined;
    if (extra !== undefined) fail(extra, `cannot be set for action '${action}', which takes only regex`);
  }

  return {
    action,
    sourceLabels,
    separator,
    targetLabel,
    regex,
    defaultRegex: regexSource === DEFAULT_REGEX,
    modulus,
    replacement,
    targetTemplate: parseTemplate(targetLabel, regex),
    replacementTemplate: parseTemplate(replacement, regex),
  };
}

function parseAction(value: unknown, fail: (field: string, problem: string) => never): RelabelAction {
  const action = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (action === undefined || !(RELABEL_ACTIONS as readonly string[]).includes(action)) {
    return fail(
      'action',
      `${JSON.stringify(value)} is not an action; use one of ${RELABEL_ACTIONS.join(', ')}`,
    );
  }
  return action as RelabelAction;
}

function stringField(
  rule: RelabelRule,
  field: 'separator' | 'targetLabel' | 'replacement' | 'regex',
  fallback: string,
  fail: (field: string, problem: string) => never,
): string {
  const value: unknown = rule[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string') return fail(field, `must be a string, got ${typeof value}`);
  return value;
}

const MAX_UINT64 = 2n ** 64n - 1n;

function parseModulus(value: unknown, fail: (field: string, problem: string) => never): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_UINT64) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return fail('modulus', `must be a non-negative integer below 2^64, got ${String(value)}`);
}
