import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { watchParent } from '../../src/cli/parent-watch.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

it('calls back once when the parent pid changes (the parent died and we were re-parented)', () => {
  let parentPid = 4242;
  const onOrphaned = vi.fn();
  watchParent(onOrphaned, () => parentPid, 500);
  vi.advanceTimersByTime(5000);
  expect(onOrphaned).not.toHaveBeenCalled();
  parentPid = 1;
  vi.advanceTimersByTime(500);
  expect(onOrphaned).toHaveBeenCalledTimes(1);
  vi.advanceTimersByTime(5000);
  expect(onOrphaned).toHaveBeenCalledTimes(1);
});

it('stops watching when told to', () => {
  let parentPid = 4242;
  const onOrphaned = vi.fn();
  const stop = watchParent(onOrphaned, () => parentPid, 500);
  stop();
  parentPid = 1;
  vi.advanceTimersByTime(5000);
  expect(onOrphaned).not.toHaveBeenCalled();
});
