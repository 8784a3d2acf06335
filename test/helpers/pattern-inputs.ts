/**
 * recordPatternInputs records the length of every string a regular expression runs over until
 * restore(). Patching exec is enough: test, match, replace and split all call a RegExp's exec.
 */
export function recordPatternInputs(): { lengths: number[]; longest(): number; restore(): void } {
  const lengths: number[] = [];
  const exec = RegExp.prototype.exec;
  RegExp.prototype.exec = function (this: RegExp, input: string) {
    lengths.push(String(input).length);
    return exec.call(this, input);
  };
  return { lengths, longest: () => Math.max(0, ...lengths), restore: () => void (RegExp.prototype.exec = exec) };
}
