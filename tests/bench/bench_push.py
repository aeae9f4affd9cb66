"""`make bench-push`: `analytics-assets push` of a 1 GiB Claude Code history (the transcript bench's
corpus) to a receiver on 127.0.0.1, beside `rsync -a` of the same tree to a local folder, in the
same run:
  - first push (every byte: read, gzip, send, decompress, append, fsync) vs rsync's first copy;
  - after +1 % appended to a few sessions: the incremental push (and rsync's, for reference);
  - a push with nothing new;
  - the client's peak RSS.
Each measured command runs in its own process (bench_transcripts.timed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_transcripts as corpus_bench  # noqa: E402

ROOT = corpus_bench.ROOT
CLI = str(Path(sys.executable).parent / "analytics-assets")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    args = parser.parse_args()
    if not shutil.which("rsync"):
        raise SystemExit("rsync is not installed (the reference): apt-get install rsync")
    corpus = corpus_bench.generate(int(args.gib * (1 << 30)))
    (ROOT / ".bench").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="push-", dir=ROOT / ".bench"))
    receiver = None
    try:
        home = work / "home"
        (home / ".claude").mkdir(parents=True)
        rsync_first, _, _ = corpus_bench.timed(["rsync", "-a", f"{corpus / 'projects'}/", f"{home / '.claude' / 'projects'}/"])
        size = sum(p.stat().st_size for p in (home / ".claude" / "projects").rglob("*.jsonl"))
        tokens, landing = work / "tokens.json", work / "server" / "landing"
        token = subprocess.run([CLI, "token", "--tokens", str(tokens), "add", "--developer", "Bench", "--machine", "bench"],
                               capture_output=True, text=True, check=True).stdout.split()[-1]
        (work / "token").write_text(token)
        receiver = subprocess.Popen([CLI, "receive", "--port", "0", "--tokens", str(tokens)], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True, env={**os.environ, "ANALYTICS_LANDING_DIR": str(landing)})
        url = receiver.stdout.readline().split()[-1]
        env = {"HOME": str(home), "XDG_STATE_HOME": str(work / "state"), "CLAUDE_CONFIG_DIR": "", "CODEX_HOME": str(work / "no-codex")}
        push = [CLI, "push", "--to", url, "--token-file", str(work / "token"), "--quiet"]
        first, first_rss, first_out = corpus_bench.timed(push, env)
        corpus_bench.timed(["rsync", "-a", f"{home / '.claude' / 'projects'}/", f"{work / 'rsync-copy'}/"])  # an up-to-date copy
        added = corpus_bench.append_one_percent(home / ".claude")
        rsync_incremental, _, _ = corpus_bench.timed(["rsync", "-a", f"{home / '.claude' / 'projects'}/", f"{work / 'rsync-copy'}/"])
        incremental, incremental_rss, incremental_out = corpus_bench.timed(push, env)
        nothing, _, nothing_out = corpus_bench.timed(push, env)
        pushed = sum(p.stat().st_size for p in (landing / "claude" / "bench" / "projects").rglob("*.jsonl"))
        files = len(list((home / ".claude" / "projects").rglob("*.jsonl")))
        print(f"corpus: {files} files, {size / 2**20:,.0f} MiB; +{added / 2**20:,.1f} MiB appended; landed {pushed / 2**20:,.0f} MiB "
              f"({'equal' if pushed == size + added else 'DIFFERENT'} to the history)")
        print(f"first push      {first:7.2f} s   rsync -a {rsync_first:7.2f} s   ratio {first / rsync_first:5.2f} x  (target <= 2)")
        print(f"  {first_out.strip()}")
        print(f"incremental     {incremental:7.2f} s   (target <= 0.5 s; rsync -a of the changed tree to an up-to-date copy "
              f"{rsync_incremental:.2f} s)")
        print(f"  {incremental_out.strip()}")
        print(f"nothing new     {nothing:7.2f} s   {re.sub(' in .*', '', nothing_out.strip())}")
        print(f"client peak RSS {max(first_rss, incremental_rss):7.0f} MiB (target <= 200)")
    finally:
        if receiver is not None:
            receiver.send_signal(signal.SIGTERM)
            receiver.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
