"""Times the PyTorch bench-small step by wall clock and by CPU time.

The PyTorch reference script reports wall-clock speed only, which other jobs on a shared machine
distort. This runs the same step, importing the model and `response_logps` from that script
unchanged, and also reads time.process_time() around each step. Prints one JSON line.

Usage: /usr/bin/python3 scripts/torch-cpu-time.py PATH/TO/torch_reference.py [--steps 10] [--warmup 2] [--threads 1]
"""
import argparse
import importlib.util
import json
import statistics
import time

import torch


def load(path):
    spec = importlib.util.spec_from_file_location("torch_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("script", help="path of torch_reference.py")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--beta", type=float, default=0.1)
    args = parser.parse_args()
    ref = load(args.script)

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    policy, reference = ref.TinyGPT(), ref.TinyGPT()
    reference.load_state_dict(policy.state_dict())
    reference.requires_grad_(False)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-4)
    ids = torch.randint(0, ref.VOCAB, (2 * ref.PAIRS, ref.SEQ))

    wall, cpu = [], []
    for step in range(args.warmup + args.steps):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        with torch.no_grad():
            reference_logps = ref.response_logps(reference, ids)
        policy_logps = ref.response_logps(policy, ids)
        chosen = policy_logps[: ref.PAIRS] - reference_logps[: ref.PAIRS]
        rejected = policy_logps[ref.PAIRS :] - reference_logps[ref.PAIRS :]
        loss = -torch.nn.functional.logsigmoid(args.beta * (chosen - rejected)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step >= args.warmup:
            wall.append(time.perf_counter() - wall_start)
            cpu.append(time.process_time() - cpu_start)

    tokens = 2 * ref.PAIRS * ref.SEQ
    print(json.dumps({
        "tokens_per_second": round(tokens / statistics.median(wall), 1),
        "cpu_tokens_per_second": round(tokens / statistics.median(cpu), 1),
        "steps": args.steps,
        "threads": args.threads,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
