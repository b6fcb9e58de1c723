import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { ProgressReporter } from './progress-reporter.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

it('sends the first value at once, then the latest at most once per interval', () => {
  const sent: number[] = [];
  const reporter = new ProgressReporter(
    (percent) => sent.push(percent),
    1000,
    () => Date.now(),
  );
  reporter.update(10);
  reporter.update(20);
  reporter.update(30);
  expect(sent).toEqual([10]);
  vi.advanceTimersByTime(999);
  expect(sent).toEqual([10]);
  vi.advanceTimersByTime(1);
  expect(sent).toEqual([10, 30]);
});

it('clamps to 0-100, ignores what is not a number and does not repeat an unchanged value', () => {
  const sent: number[] = [];
  const reporter = new ProgressReporter(
    (percent) => sent.push(percent),
    1000,
    () => Date.now(),
  );
  reporter.update(150);
  vi.advanceTimersByTime(1000);
  reporter.update(Number.NaN);
  reporter.update(100);
  vi.advanceTimersByTime(1000);
  reporter.update(-5);
  expect(sent).toEqual([100, 0]);
});

it('sends nothing once closed', () => {
  const sent: number[] = [];
  const reporter = new ProgressReporter(
    (percent) => sent.push(percent),
    1000,
    () => Date.now(),
  );
  reporter.update(1);
  reporter.update(2);
  reporter.close();
  vi.advanceTimersByTime(5000);
  expect(sent).toEqual([1]);
});
