/** What a review looks at, as `review/start` names it (core-neutral copy of the wire's ReviewTarget). */
export type ReviewTarget =
  | { type: 'uncommittedChanges' }
  | { type: 'baseBranch'; branch: string }
  | { type: 'commit'; sha: string; title?: string | null }
  | { type: 'custom'; instructions: string };

/** The reviewer's base instructions: what to look for, and the JSON it must answer with. */
export const REVIEW_INSTRUCTIONS = `You are reviewing a code change that another engineer (or agent) wrote. Your job is to find the problems that matter before the change is merged, and to say clearly whether the change is correct.

You work read-only: you may run commands to inspect the repository (git diff, git log, git show, git status, rg, cat, ls, running read-only checks), but you cannot and must not modify files, the index, HEAD or any other state. Do not try to fix anything; report it.

What counts as a finding:
- A defect the author would want to fix: wrong behaviour, a crash, a security hole, data loss, a race, a broken edge case, a resource leak, a regression, a misleading API, a missing test for risky logic.
- It is introduced or exposed by this change, not a long-standing problem elsewhere.
- It is concrete: you can name the file and lines and explain how it goes wrong. No speculation, no style nits unless they hide a bug, no praise.
- Report each distinct problem once; skip anything you are not reasonably sure of.

Priorities: 0 = must fix before merging (broken build, data loss, security), 1 = should fix soon (a real bug in a normal path), 2 = worth fixing (edge cases, robustness), 3 = minor.
Confidence: a number from 0.0 to 1.0, how sure you are that the finding is real.

When you are done, answer with ONLY a JSON object (no Markdown fence, no text around it) of this shape:
{
  "findings": [
    {
      "title": "[P1] Short imperative summary (at most 80 characters)",
      "body": "What goes wrong, when, and why; one or two short paragraphs in Markdown.",
      "confidence_score": 0.8,
      "priority": 1,
      "code_location": { "absolute_file_path": "/abs/path/to/file", "line_range": { "start": 10, "end": 12 } }
    }
  ],
  "overall_correctness": "patch is correct" or "patch is incorrect",
  "overall_explanation": "One to three sentences justifying the verdict."
}
Keep line ranges short (the lines that show the problem) and inside the changed code. With no findings, return an empty list and say why the change is correct.`;

/** The request the reviewer gets as its user message, for each target. */
export function reviewPrompt(target: ReviewTarget): string {
  switch (target.type) {
    case 'uncommittedChanges':
      return 'Review the uncommitted changes in this repository: staged, unstaged and untracked files (see `git status`, `git diff`, `git diff --cached`, and read the untracked files). Report prioritized, actionable findings.';
    case 'baseBranch':
      return (
        `Review the changes of the current branch against the base branch '${target.branch}'. ` +
        `Find the point where the branches diverged (for example \`git merge-base HEAD ${shellQuote(target.branch)}\`, or its upstream if it has one), ` +
        `then \`git diff\` from that commit to see what merging into '${target.branch}' would bring. Report prioritized, actionable findings.`
      );
    case 'commit':
      return (
        `Review the changes introduced by commit ${target.sha}${target.title ? ` ("${target.title}")` : ''} ` +
        `(see \`git show ${shellQuote(target.sha)}\`). Report prioritized, actionable findings.`
      );
    case 'custom':
      return target.instructions.trim();
  }
}

/** What the user is shown as the subject of the review (`enteredReviewMode.review`). */
export function reviewHint(target: ReviewTarget): string {
  switch (target.type) {
    case 'uncommittedChanges':
      return 'current changes';
    case 'baseBranch':
      return `changes against '${target.branch}'`;
    case 'commit': {
      const short = target.sha.slice(0, 7);
      return target.title ? `commit ${short}: ${target.title}` : `commit ${short}`;
    }
    case 'custom':
      return target.instructions.trim();
  }
}

function shellQuote(s: string): string {
  return /^[\w./@^~:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One finding of the reviewer's answer. */
export interface ReviewFinding {
  title: string;
  body: string;
  confidenceScore: number | null;
  priority: number | null;
  location: { path: string; start: number; end: number } | null;
}

/** The reviewer's answer: structured when it answered the JSON asked for, else its text. */
export interface ReviewOutput {
  findings: ReviewFinding[];
  overallCorrectness: string;
  overallExplanation: string;
}

/**
 * Reads the reviewer's final message: the JSON object asked for (also when wrapped in a fence
 * or text), else the whole text as the explanation with no findings.
 */
export function parseReviewOutput(text: string): ReviewOutput {
  const fromJson = (s: string): ReviewOutput | null => {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      return null;
    }
    if (!isRecord(v) || (!Array.isArray(v.findings) && typeof v.overall_explanation !== 'string')) return null;
    const findings = (Array.isArray(v.findings) ? v.findings : []).flatMap((f): ReviewFinding[] => {
      if (!isRecord(f)) return [];
      const loc = isRecord(f.code_location) ? f.code_location : null;
      const range = loc && isRecord(loc.line_range) ? loc.line_range : null;
      const location =
        loc && typeof loc.absolute_file_path === 'string'
          ? { path: loc.absolute_file_path, start: num(range?.start) ?? 0, end: num(range?.end) ?? num(range?.start) ?? 0 }
          : null;
      return [{ title: str(f.title) || '(untitled finding)', body: str(f.body), confidenceScore: num(f.confidence_score), priority: num(f.priority), location }];
    });
    return { findings, overallCorrectness: str(v.overall_correctness), overallExplanation: str(v.overall_explanation) };
  };
  const trimmed = text.trim();
  const start = trimmed.indexOf('{');
  const end = trimmed.lastIndexOf('}');
  return (
    fromJson(trimmed) ??
    (start >= 0 && end > start ? fromJson(trimmed.slice(start, end + 1)) : null) ?? { findings: [], overallCorrectness: '', overallExplanation: trimmed }
  );
}

/** The review as text for people (`exitedReviewMode.review`) and for the thread's history. */
export function renderReview(out: ReviewOutput): string {
  const parts: string[] = [];
  if (out.overallCorrectness) parts.push(`Verdict: ${out.overallCorrectness}.`);
  if (out.overallExplanation.trim()) parts.push(out.overallExplanation.trim());
  if (out.findings.length > 0) {
    const lines = [out.findings.length === 1 ? 'Finding:' : `Findings (${out.findings.length}):`];
    for (const f of out.findings) {
      const meta = [f.priority !== null ? `P${f.priority}` : null, f.confidenceScore !== null ? `confidence ${f.confidenceScore}` : null].filter(Boolean);
      lines.push('', `- ${f.title}${meta.length ? ` (${meta.join(', ')})` : ''}`);
      if (f.location) lines.push(`  ${f.location.path}:${f.location.start}${f.location.end !== f.location.start ? `-${f.location.end}` : ''}`);
      for (const l of f.body.trim().split('\n')) if (l.trim()) lines.push(`  ${l}`);
    }
    parts.push(lines.join('\n'));
  } else if (parts.length === 0) {
    parts.push('The review found no problems.');
  }
  return parts.join('\n\n');
}

/** The user-side record of the review in the thread's history (the next turn sees it). */
export function reviewHistoryMessage(hint: string, rendered: string | null): string {
  return rendered === null
    ? `<user_action>\n  <action>review</action>\n  <target>${hint}</target>\n  <results>The review was interrupted before it finished; it produced no results.</results>\n</user_action>`
    : `<user_action>\n  <action>review</action>\n  <target>${hint}</target>\n  <results>\n${rendered}\n  </results>\n</user_action>\nThe user ran a code review of ${hint}; the results are above. Act on them only if the user asks.`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
