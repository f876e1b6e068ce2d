// Preloaded into a measured process (node --require): at exit, writes its peak
// RSS and CPU time to the file named by $RUSAGE_FILE.
import * as fs from 'node:fs';

const target = process.env.RUSAGE_FILE;
if (target) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    fs.writeFileSync(target, JSON.stringify({ maxRssKiB: r.maxRSS, userUs: r.userCPUTime, systemUs: r.systemCPUTime }));
  });
}
