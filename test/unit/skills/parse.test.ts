import { describe, expect, it, beforeAll } from 'vitest';
import { extractFrontMatter, loadYamlParser, parseSkill, SkillParseError } from '../../../src/skills/parse.js';

const P = '/skills/demo/SKILL.md';
beforeAll(loadYamlParser);

const parse = (text: string) => parseSkill(text, P, 'user');
const failure = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SkillParseError);
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
};

describe('SKILL.md front matter', () => {
  it('reads name, description and metadata.short-description as single lines', () => {
    const s = parse('---\nname: demo-skill\ndescription: |\n  does things\n  carefully\nmetadata:\n  short-description: "  short\\n summary "\n---\n\n# Body\n');
    expect(s).toEqual({
      name: 'demo-skill',
      description: 'does things carefully',
      shortDescription: 'short summary',
      path: P,
      scope: 'user',
      enabled: true,
    });
  });

  it('names a skill after its folder when the front matter has no name', () => {
    expect(parse('---\ndescription: d\n---\n').name).toBe('demo');
    expect(parse('---\nname: "   "\ndescription: d\n---\n').name).toBe('demo');
  });

  it('accepts CRLF line ends and blanks around the markers', () => {
    expect(parse('---  \r\nname: x\r\ndescription: y\r\n --- \r\nbody').name).toBe('x');
  });

  it('refuses a file without front matter, unterminated or empty', () => {
    expect(failure('# just markdown\n')).toBe('missing YAML frontmatter delimited by ---');
    expect(failure('---\nname: bad')).toBe('missing YAML frontmatter delimited by ---');
    expect(failure('---\n---\nbody')).toBe('missing YAML frontmatter delimited by ---');
    expect(failure('\n---\nname: late\ndescription: d\n---\n')).toBe('missing YAML frontmatter delimited by ---');
    expect(extractFrontMatter('---\na: 1\n---\nrest\n---\n')).toBe('a: 1');
  });

  it('refuses YAML that does not parse, duplicate keys, and a front matter that is not a mapping', () => {
    expect(failure('---\nname: [unclosed\ndescription: d\n---\n')).toMatch(/^invalid YAML: /);
    expect(failure('---\nname: a\nname: b\ndescription: d\n---\n')).toMatch(/^invalid YAML: .*[Uu]nique|duplicate/i);
    expect(failure('---\n- a\n- b\n---\n')).toMatch(/^invalid YAML: .*mapping/);
    expect(failure('---\njust a string\n---\n')).toMatch(/^invalid YAML: .*mapping/);
  });

  it('refuses fields of the wrong type', () => {
    expect(failure('---\nname: 123\ndescription: d\n---\n')).toBe('invalid YAML: `name` must be a string, not a number');
    expect(failure('---\nname: n\ndescription: [a, b]\n---\n')).toBe('invalid YAML: `description` must be a string, not a sequence');
    expect(failure('---\nname: n\ndescription: d\nmetadata: flat\n---\n')).toMatch(/`metadata` must be a mapping/);
    expect(failure('---\nname: n\ndescription: d\nmetadata:\n  short-description: 5\n---\n')).toMatch(/metadata.short-description/);
  });

  it('requires a description', () => {
    expect(failure('---\nname: n\n---\n')).toBe('missing field `description`');
    expect(failure('---\nname: n\ndescription: "  \\n "\n---\n')).toBe('missing field `description`');
    expect(failure('---\nname: n\ndescription:\n---\n')).toBe('missing field `description`');
  });

  it('enforces the length limits in characters, not bytes', () => {
    expect(parse(`---\nname: ${'n'.repeat(64)}\ndescription: d\n---\n`).name).toHaveLength(64);
    expect(failure(`---\nname: ${'n'.repeat(65)}\ndescription: d\n---\n`)).toBe('invalid name: exceeds maximum length of 64 characters');
    const bulb = '\u{1F4A1}';
    expect([...parse(`---\nname: n\ndescription: ${bulb.repeat(1024)}\n---\n`).description]).toHaveLength(1024);
    expect(failure(`---\nname: n\ndescription: ${bulb.repeat(1025)}\n---\n`)).toBe('invalid description: exceeds maximum length of 1024 characters');
    expect(failure(`---\nname: n\ndescription: d\nmetadata:\n  short-description: ${'s'.repeat(1025)}\n---\n`)).toBe(
      'invalid metadata.short-description: exceeds maximum length of 1024 characters',
    );
  });

  it('ignores an empty short description and unknown fields', () => {
    const s = parse('---\nname: n\ndescription: d\nlicense: MIT\nmetadata:\n  short-description: ""\n  other: 1\n---\n');
    expect(s.shortDescription).toBeNull();
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['---', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('name: bomb', 'description: d', '---');
    const started = Date.now();
    expect(failure(lines.join('\n'))).toMatch(/^invalid YAML: .*[Aa]lias/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
