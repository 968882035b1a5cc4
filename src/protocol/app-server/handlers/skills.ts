import { isAbsolute } from 'node:path';
import type { SkillLoadOutcome } from '../../../skills/index.js';
import { RpcError } from '../../../rpc/errors.js';
import type { Result } from '../schema/methods.js';
import type { HandlerDeps, HandlerGroup } from './types.js';

type SkillsListEntry = Result<'skills/list'>['data'][number];

/** The wire entry of one working directory. */
function wireEntry(cwd: string, outcome: SkillLoadOutcome): SkillsListEntry {
  return {
    cwd,
    skills: outcome.skills.map((s) => ({
      name: s.name,
      description: s.description,
      shortDescription: s.shortDescription,
      interface: null,
      dependencies: null,
      path: s.path,
      scope: s.scope,
      enabled: s.enabled,
    })),
    errors: outcome.errors.map((e) => ({ path: e.path, message: e.message })),
  };
}

/** `skills/list` and `skills/extraRoots/set`. */
export function skillsHandlers(d: HandlerDeps): HandlerGroup<'skills/list' | 'skills/extraRoots/set'> {
  return {
    'skills/list': async (p) => {
      // As Codex: no cwds means the daemon's own working directory.
      const cwds = p.cwds && p.cwds.length > 0 ? p.cwds : [process.cwd()];
      const data = await Promise.all(
        cwds.map(async (cwd) => wireEntry(cwd, await d.skills.list(cwd, { forceReload: p.forceReload ?? false }))),
      );
      return { data };
    },

    'skills/extraRoots/set': (p) => {
      const bad = p.extraRoots.findIndex((r) => !isAbsolute(r));
      if (bad >= 0) throw RpcError.invalidParams([{ path: `extraRoots.${bad}`, message: 'must be an absolute path' }]);
      d.skills.setExtraRoots(p.extraRoots);
      return {};
    },
  };
}
