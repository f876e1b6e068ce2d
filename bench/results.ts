// bench/RESULTS.md holds one "## <name>" section per benchmark; each benchmark
// rewrites only its own section.
import * as fs from 'node:fs';

export function replaceSection(file: string, name: string, body: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmark results\n\nWritten by `make bench`; each section by its own benchmark.\n';
  const heading = `## ${name}\n`;
  const section = `${heading}\n${body.trim()}\n\n`;
  const start = text.indexOf(heading);
  if (start < 0) {
    fs.writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  fs.writeFileSync(file, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
}
