import { describe, expect, it } from 'vitest';
import {
  encodeOpenMetricsFamilyHeader,
  formatOpenMetricsTimestamp,
  prefersOpenMetrics,
} from '../../src/protocols/openmetrics-text.js';

describe('OpenMetrics text details', () => {
  it('names counter families without _total and writes untyped as unknown', () => {
    expect(encodeOpenMetricsFamilyHeader('http_requests_total', 'counter', 'Requests "served".')).toBe(
      '# TYPE http_requests counter\n# HELP http_requests Requests \\"served\\".\n',
    );
    expect(encodeOpenMetricsFamilyHeader('legacy_count', 'counter')).toBe('# TYPE legacy_count unknown\n');
    expect(encodeOpenMetricsFamilyHeader('x', 'untyped')).toBe('# TYPE x unknown\n');
    expect(encodeOpenMetricsFamilyHeader('h', 'histogram', 'a\\b\nc')).toBe(
      '# TYPE h histogram\n# HELP h a\\\\b\\nc\n',
    );
  });

  it('writes timestamps in seconds', () => {
    expect(formatOpenMetricsTimestamp(1_700_000_000_000)).toBe('1700000000');
    expect(formatOpenMetricsTimestamp(1_700_000_000_120)).toBe('1700000000.12');
    expect(formatOpenMetricsTimestamp(1_700_000_000_001)).toBe('1700000000.001');
    expect(formatOpenMetricsTimestamp(-500)).toBe('-0.5');
  });

  it.each([
    [
      'application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      true,
    ],
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      true,
    ],
    ['text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5', false],
    ['application/openmetrics-text;q=0', false],
    ['*/*', false],
    [undefined, false],
  ])('prefers OpenMetrics for %j: %s', (accept, expected) => {
    expect(prefersOpenMetrics(accept)).toBe(expected);
  });
});
