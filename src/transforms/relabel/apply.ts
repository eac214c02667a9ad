/**
 * The relabelling engine: applies compiled rules in order to one label set, with the semantics
 * of Prometheus's `relabel.ProcessBuilder` / `relabel()`. Works on a sorted name/value array that
 * is copied only on the first change, so a label set the rules leave alone costs no allocation
 * and comes back as the same object.
 */
import { Labels } from '../../core/labels.js';
import { expandTemplate } from './expand.js';
import { goToLower, goToUpper } from './go-case.js';
import { hashMod } from './md5.js';
import type { CompiledRule } from './rules.js';
import { isValidLabelName } from './rules.js';

/**
 * Applies `rules` in order. Returns the relabelled set (the input itself when nothing changed),
 * or `undefined` when a rule dropped it.
 */
export function applyRules(rules: readonly CompiledRule[], input: Labels): Labels | undefined {
  const work = new WorkingSet(input);
  for (const rule of rules) {
    if (!applyRule(rule, work)) return undefined;
  }
  return work.build();
}

function applyRule(rule: CompiledRule, work: WorkingSet): boolean {
  switch (rule.action) {
    case 'drop':
      return !rule.regex.test(sourceValue(rule, work));
    case 'keep':
      return rule.regex.test(sourceValue(rule, work));
    case 'dropequal':
      return (work.get(rule.targetLabel) ?? '') !== sourceValue(rule, work);
    case 'keepequal':
      return (work.get(rule.targetLabel) ?? '') === sourceValue(rule, work);
    case 'replace':
      replace(rule, work);
      return true;
    case 'lowercase':
      work.set(rule.targetLabel, goToLower(sourceValue(rule, work)));
      return true;
    case 'uppercase':
      work.set(rule.targetLabel, goToUpper(sourceValue(rule, work)));
      return true;
    case 'hashmod':
      work.set(rule.targetLabel, hashMod(sourceValue(rule, work), rule.modulus));
      return true;
    case 'labelmap':
      labelMap(rule, work);
      return true;
    case 'labeldrop':
      work.deleteNames((name) => rule.regex.test(name));
      return true;
    case 'labelkeep':
      work.deleteNames((name) => !rule.regex.test(name));
      return true;
  }
}

/** The source label values joined by the separator; an absent label counts as empty. */
function sourceValue(rule: CompiledRule, work: WorkingSet): string {
  const names = rule.sourceLabels;
  if (names.length === 1) return work.get(names[0] as string) ?? '';
  let value = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) value += rule.separator;
    value += work.get(names[i] as string) ?? '';
  }
  return value;
}

function replace(rule: CompiledRule, work: WorkingSet): void {
  const value = sourceValue(rule, work);
  const target = rule.targetTemplate.constant;
  const replacement = rule.replacementTemplate.constant;
  // Prometheus's fast path: nothing to match against and nothing to expand.
  if (value === '' && rule.defaultRegex && target !== undefined && replacement !== undefined) {
    work.set(target, replacement);
    return;
  }
  const groups = rule.regex.exec(value);
  if (groups === undefined) return;
  const name = target ?? expandTemplate(rule.targetTemplate, groups);
  // A templated target that expands to an invalid name leaves the labels alone.
  if (target === undefined && !isValidLabelName(name)) return;
  const result = replacement ?? expandTemplate(rule.replacementTemplate, groups);
  if (result === '') work.delete(name);
  else work.set(name, result);
}

/** Every label whose name matches is copied to the expanded replacement name. */
function labelMap(rule: CompiledRule, work: WorkingSet): void {
  const snapshot = work.snapshot();
  for (let i = 0; i < snapshot.length; i += 2) {
    const name = snapshot[i] as string;
    const groups = rule.regex.exec(name);
    if (groups !== undefined)
      work.set(expandTemplate(rule.replacementTemplate, groups), snapshot[i + 1] as string);
  }
}

/**
 * A label set being edited: names and values alternating, sorted by name as {@link Labels}
 * sorts them. It starts as the input's own array and is copied on the first change.
 */
class WorkingSet {
  private pairs: readonly string[];
  private owned: string[] | undefined;

  constructor(private readonly input: Labels) {
    this.pairs = input.rawPairs();
  }

  get(name: string): string | undefined {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      const current = pairs[i] as string;
      if (current === name) return pairs[i + 1];
      if (current > name) return undefined;
    }
    return undefined;
  }

  /** The labels as they are now, unaffected by later changes. */
  snapshot(): readonly string[] {
    return this.owned === undefined ? this.pairs : this.owned.slice();
  }

  /** Sets a label; an empty value deletes it, as Prometheus's `labels.Builder.Set` does. */
  set(name: string, value: string): void {
    if (value === '') {
      this.delete(name);
      return;
    }
    const pairs = this.pairs;
    let i = 0;
    while (i < pairs.length && (pairs[i] as string) < name) i += 2;
    if (pairs[i] === name) {
      if (pairs[i + 1] === value) return;
      this.own()[i + 1] = value;
    } else {
      this.own().splice(i, 0, name, value);
    }
  }

  delete(name: string): void {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) {
      const current = pairs[i] as string;
      if (current === name) {
        this.own().splice(i, 2);
        return;
      }
      if (current > name) return;
    }
  }

  /** Deletes every label whose name satisfies `predicate`. */
  deleteNames(predicate: (name: string) => boolean): void {
    const pairs = this.pairs;
    for (let i = pairs.length - 2; i >= 0; i -= 2) {
      if (predicate(pairs[i] as string)) this.own().splice(i, 2);
    }
  }

  build(): Labels {
    const owned = this.owned;
    if (owned === undefined) return this.input;
    const original = this.input.rawPairs();
    if (owned.length === original.length && owned.every((part, i) => part === original[i])) return this.input;
    return Labels.fromSortedPairs(owned);
  }

  /** The array to edit, copying the input's on the first change. */
  private own(): string[] {
    if (this.owned === undefined) {
      this.owned = this.pairs.slice();
      this.pairs = this.owned;
    }
    return this.owned;
  }
}
