import { describe, expect, it } from 'vitest';
import { scrapeFormatFor, secondsBetween } from './metrics.js';

describe('scrapeFormatFor', () => {
  it('chooses OpenMetrics when accepted, as Prometheus asks for it first', () => {
    expect(
      scrapeFormatFor(
        'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1',
      ),
    ).toBe('openmetrics');
  });

  it('chooses Prometheus text for text/plain, in any case and with parameters', () => {
    expect(scrapeFormatFor('text/plain')).toBe('prometheus');
    expect(scrapeFormatFor('Text/Plain; version=0.0.4')).toBe('prometheus');
  });

  it("leaves anything else to the caller (Tork's JSON on the API)", () => {
    expect(scrapeFormatFor(undefined)).toBeUndefined();
    expect(scrapeFormatFor('*/*')).toBeUndefined();
    expect(scrapeFormatFor('application/json')).toBeUndefined();
    expect(scrapeFormatFor('text/html,application/xhtml+xml')).toBeUndefined();
  });
});

describe('secondsBetween', () => {
  it('answers the span in seconds, and nothing for a missing time or a clock that went back', () => {
    expect(secondsBetween('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.500Z')).toBe(1.5);
    expect(secondsBetween(undefined, '2026-01-01T00:00:01.500Z')).toBeUndefined();
    expect(secondsBetween('2026-01-01T00:00:02.000Z', '2026-01-01T00:00:01.000Z')).toBeUndefined();
  });
});
