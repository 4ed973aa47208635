#!/usr/bin/env python3
"""Extra fuzz seeds from the shared fixtures (real model output and real tool logs), written
outside the repository: the fixtures are data read where they are, never committed.

  scripts/fuzz_fixture_seeds.py FIXTURES_DIR OUT_DIR

writes OUT_DIR/<target>/... for structured_output, sse_parser, chunk_reader, chatdev_log and
metagpt_importer. Each seed is cut to the target's max_len (scripts/fuzz.sh)."""
import json
import os
import sys


def write(out, target, name, data, limit):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data[:limit])


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    cache = os.path.join(fixtures, "metagpt", "rsp_cache.json")
    if os.path.exists(cache):
        with open(cache, encoding="utf-8") as f:
            replies = list(json.load(f).values())
        # The snake chains (PRD, design, tasks, code, reviews) and a spread of the others.
        picks = list(range(200, 213)) + list(range(390, 403)) + list(range(4, 15)) + [48, 49, 287] + list(range(421, 425))
        picks += list(range(0, len(replies), 25))
        for i in sorted(set(p for p in picks if p < len(replies))):
            text = replies[i] if isinstance(replies[i], str) else json.dumps(replies[i])
            write(out, "structured_output", f"rsp_{i:03d}", text, 16384)
            # The reply streamed in pieces as an OpenAI server sends it.
            events = ""
            for at in range(0, min(len(text), 3000), 40):
                chunk = {"model": "gpt-4", "choices": [{"index": 0, "delta": {"content": text[at:at + 40]}, "finish_reason": None}]}
                events += "data: " + json.dumps(chunk, ensure_ascii=False) + "\n\n"
            events += "data: [DONE]\n\n"
            write(out, "sse_parser", f"rsp_{i:03d}", chr(i % 128) + events, 16384)
            chunk = {"model": "gpt-4", "choices": [{"index": 0, "delta": {"content": text[:300]}, "finish_reason": "stop"}]}
            write(out, "chunk_reader", f"rsp_{i:03d}", json.dumps(chunk, ensure_ascii=i % 2 == 0), 4096)
        # The snake chain as a MetaGPT workspace: requirement, PRD, design, tasks, code.
        def content_json(text):
            start, end = text.find("[CONTENT]"), text.rfind("[/CONTENT]")
            return text[start + 9:end].strip() if start >= 0 and end > start else text
        chain = [replies[i] for i in (200, 201, 202, 203, 208) if i < len(replies)]
        if len(chain) == 5:
            parts = ["Make a cli snake game\n"] + [content_json(t) for t in chain[:3]] + [chain[3], chain[4]]
            write(out, "metagpt_importer", "snake_chain", "\n=====\n".join(parts), 65536)
    logs = os.path.join(fixtures, "chatdev-logs")
    if os.path.isdir(logs):
        for run in sorted(os.listdir(logs)):
            folder = os.path.join(logs, run)
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                if name.endswith(".log"):
                    with open(os.path.join(folder, name), "rb") as f:
                        data = f.read()
                    stamp = "".join(c for c in run.split("_")[-1] if c.isdigit())
                    write(out, "chatdev_log", run, b"#stamp " + stamp.encode() + b"\n" + data, 65536)


if __name__ == "__main__":
    main()
