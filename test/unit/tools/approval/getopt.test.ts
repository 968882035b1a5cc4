import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOptions, type OptionTable } from '../../../../src/tools/approval/getopt.js';
import { isSafeSimpleCommand } from '../../../../src/tools/approval/safe-commands.js';
import { PROGRAM_RULES } from '../../../../src/tools/approval/program-rules.js';

const table: OptionTable = {
  flags: 'abc',
  withArg: 'o',
  withOptionalArg: 'I',
  long: ['all'],
  longWithArg: ['output'],
  longWithOptionalArg: ['color'],
};

describe('parseOptions reads an argv as getopt_long does', () => {
  it('reads clusters, attached and separate arguments, and options after operands', () => {
    expect(parseOptions(['-ab', 'x', '-cofile', '-o', 'y', '--output=z', '--output', 'w', '--all', '-Isec', '--color'], table)).toEqual({
      options: [
        { name: '-a' }, { name: '-b' }, { name: '-c' }, { name: '-o', value: 'file' }, { name: '-o', value: 'y' },
        { name: '--output', value: 'z' }, { name: '--output', value: 'w' }, { name: '--all' }, { name: '-I', value: 'sec' },
        { name: '--color' },
      ],
      operands: ['x'],
    });
  });

  it('ends the options at --, and takes a lone - as an operand', () => {
    expect(parseOptions(['-a', '-', '--', '-o', '--all'], table)).toEqual({ options: [{ name: '-a' }], operands: ['-', '-o', '--all'] });
  });

  it('refuses an unknown option, an abbreviation, a missing argument, an argument to a flag, a value like an option', () => {
    expect(parseOptions(['-x'], table)).toHaveProperty('error');
    expect(parseOptions(['--out=z'], table)).toHaveProperty('error');
    expect(parseOptions(['--al'], table)).toHaveProperty('error');
    expect(parseOptions(['-o'], table)).toHaveProperty('error');
    expect(parseOptions(['--all=1'], table)).toHaveProperty('error');
    expect(parseOptions(['-o', '--all'], table)).toHaveProperty('error');
  });

  it('keeps an option taking an argument alone when the program reads clusters its own way', () => {
    expect(parseOptions(['-aL'], { flags: 'a', withArg: 'L', argOptionsStandAlone: true })).toHaveProperty('error');
    expect(parseOptions(['-L', '2'], { flags: 'a', withArg: 'L', argOptionsStandAlone: true })).toEqual({
      options: [{ name: '-L', value: '2' }],
      operands: [],
    });
  });
});

describe('classifier properties over the option tables', () => {
  const programs = Object.entries(PROGRAM_RULES).filter(([, r]) => !r.anyArgs && (r.options.flags ?? '').length > 1);

  it('gives a cluster of flags the same verdict as the same flags apart', () => {
    const letter = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    fc.assert(
      fc.property(fc.constantFrom(...programs), fc.array(letter, { minLength: 2, maxLength: 5 }), ([name, rule], letters) => {
        // `-NUM` options (grep -3) are read only as a word of their own: a digit in a cluster is refused.
        const noArg = letters.filter(
          (l) =>
            !(rule.options.withArg ?? '').includes(l) &&
            !(rule.options.withOptionalArg ?? '').includes(l) &&
            !(rule.options.numberOption && /\d/.test(l)),
        );
        fc.pre(noArg.length >= 2);
        const together = isSafeSimpleCommand([name, `-${noArg.join('')}`, 'x']);
        const apart = isSafeSimpleCommand([name, ...noArg.map((l) => `-${l}`), 'x']);
        expect(together).toBe(apart);
      }),
    );
  });

  it('gives the same verdict whether options come before or after the operands (GNU permutation)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...programs), fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), { minLength: 1, maxLength: 3 }), ([name, rule], letters) => {
        const flags = letters.filter((l) => (rule.options.flags ?? '').includes(l) || !(rule.options.withArg ?? '').includes(l));
        fc.pre(flags.length > 0 && !flags.some((l) => (rule.options.withOptionalArg ?? '').includes(l)));
        const opts = flags.map((l) => `-${l}`);
        expect(isSafeSimpleCommand([name, ...opts, 'x'])).toBe(isSafeSimpleCommand([name, 'x', ...opts]));
      }),
    );
  });
});
