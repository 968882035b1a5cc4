import type { TurnView, RolloutLineInput } from './turn-runner.js';

/**
 * The rollout lines that record a turn copied from another thread (a fork), so the copy reads
 * back the same after a restart. A turn still running in the source is recorded as interrupted.
 */
export function importedTurnLines(t: TurnView): RolloutLineInput[] {
  const { info } = t;
  return [
    { type: 'turn_started', turnId: info.id, settings: {} },
    ...t.items.map((item): RolloutLineInput => ({ type: 'item_completed', turnId: info.id, item })),
    {
      type: 'turn_completed',
      turn: {
        turnId: info.id,
        status: info.status === 'inProgress' ? 'interrupted' : info.status,
        error: info.error,
        startedAt: info.startedAt ?? 0,
        completedAt: info.completedAt ?? 0,
        durationMs: info.durationMs ?? 0,
      },
    },
  ];
}
