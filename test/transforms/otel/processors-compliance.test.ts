// The dropping processors through the shared transform check (test/compliance/harness.ts):
// counts in and out, intentional drops, taps on both sides, acks of batches dropped whole and of
// batches passed on.
import { describe, it } from 'vitest';
import { filter } from '../../../src/transforms/otel/filter.js';
import { probabilisticSample } from '../../../src/transforms/otel/probabilistic-sample.js';
import { type Case, itemOf, logEntry, transformCase } from '../../compliance/harness.js';
import { hex, record } from './helpers.js';

/** A compliance log entry whose OTLP record has the trace id `traceIdHex`. */
const traced = (line: string, traceIdHex: string) => ({
  ...logEntry(line),
  otlp: record({ traceId: hex(traceIdHex) }),
});

const processors: readonly Case[] = [
  transformCase('filter', 'metrics', {
    make: () => filter({ kind: 'metrics', drop: [{ labels: [{ name: 'n', type: '=~', value: '[12]' }] }] }),
    mixed: [itemOf.metrics(1), itemOf.metrics(3)],
    allDropped: [itemOf.metrics(2)],
    out: [{ labels: { __name__: 'compliance_value', n: '3' }, value: 3 }],
    dropReason: 'filtered',
    batchReason: 'filtered',
  }),
  transformCase('filter', 'logs', {
    make: () => filter({ kind: 'logs', keep: [{ body: { regex: '.*kept.*' } }] }),
    mixed: [logEntry('kept line'), logEntry('noise')],
    allDropped: [logEntry('more noise')],
    out: [{ labels: { job: 'compliance' }, line: 'kept line' }],
    dropReason: 'filtered',
    batchReason: 'filtered',
  }),
  transformCase('probabilisticSample', 'logs', {
    make: () => probabilisticSample({ kind: 'logs', samplingPercentage: 50 }),
    mixed: [
      traced('kept line', '000000000000000000c0000000000000'),
      traced('sampled out', '00000000000000000070000000000000'),
    ],
    allDropped: [traced('also sampled out', '00000000000000000010000000000000')],
    out: [{ labels: { job: 'compliance' }, line: 'kept line' }],
    dropReason: 'sampled_out',
    batchReason: 'sampled_out',
  }),
];

describe.each(processors)('processor $name with $kind', ({ check }) => {
  it(
    'counts in and out and intentional drops, taps both sides, settles the acks of what it drops or passes on',
    check,
  );
});
