/** `skills/list`, `skills/extraRoots/set` and the `skills/changed` notification (Codex 0.169 shapes). */
import { z } from 'zod';
import { AbsolutePathBuf } from './common.js';
import { wire } from './registry.js';

export const SkillScope = wire('SkillScope', z.enum(['user', 'repo', 'system', 'admin']));

export const SkillToolDependency = wire(
  'SkillToolDependency',
  z.object({
    type: z.string(),
    value: z.string(),
    command: z.string().nullish(),
    description: z.string().nullish(),
    transport: z.string().nullish(),
    url: z.string().nullish(),
  }),
);

export const SkillDependencies = wire('SkillDependencies', z.object({ tools: z.array(SkillToolDependency) }));

export const SkillInterface = wire(
  'SkillInterface',
  z.object({
    brandColor: z.string().nullish(),
    defaultPrompt: z.string().nullish(),
    displayName: z.string().nullish(),
    iconLarge: AbsolutePathBuf.nullish(),
    iconLargeUrl: z.string().nullish(),
    iconSmall: AbsolutePathBuf.nullish(),
    iconSmallUrl: z.string().nullish(),
    shortDescription: z.string().nullish(),
  }),
);

/** One skill of a working directory. */
export const SkillMetadata = wire(
  'SkillMetadata',
  z.object({
    name: z.string(),
    description: z.string(),
    /** `metadata.short-description` of the front matter. */
    shortDescription: z.string().nullish(),
    interface: SkillInterface.nullish(),
    dependencies: SkillDependencies.nullish(),
    /** The `SKILL.md` file (canonical absolute path). */
    path: z.string(),
    scope: SkillScope,
    enabled: z.boolean(),
    pluginId: z.string().nullish(),
  }),
);

/** A `SKILL.md` that could not be used. */
export const SkillErrorInfo = wire('SkillErrorInfo', z.object({ path: z.string(), message: z.string() }));

export const SkillsListEntry = wire(
  'SkillsListEntry',
  z.object({ cwd: z.string(), skills: z.array(SkillMetadata), errors: z.array(SkillErrorInfo) }),
);

export const SkillsListParams = wire(
  'SkillsListParams',
  z.object({
    /** When empty, the daemon's working directory. */
    cwds: z.array(z.string()).optional(),
    /** Re-scan from disk instead of using the cached result. */
    forceReload: z.boolean().optional(),
  }),
);
export const SkillsListResponse = wire('SkillsListResponse', z.object({ data: z.array(SkillsListEntry) }));

export const SkillsExtraRootsSetParams = wire(
  'SkillsExtraRootsSetParams',
  z.object({
    /** Absolute paths of folders scanned as user skills for every working directory. */
    extraRoots: z.array(AbsolutePathBuf),
  }),
);
export const SkillsExtraRootsSetResponse = wire('SkillsExtraRootsSetResponse', z.object({}));

export const SkillsChangedNotification = wire(
  'SkillsChangedNotification',
  z.object({}),
  'Sent when watched skill files change (or the extra roots do): re-run `skills/list` for fresh metadata.',
);
