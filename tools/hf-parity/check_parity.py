"""Compare radpo's logits, token ids and chat-template renders with Hugging Face's own libraries.

Reads runs/hf-parity (written by make-fixtures.ts): each case is a model directory saved by radpo and
what radpo computed for it. Loads every directory with transformers (float64, eager attention),
encodes the texts with the Rust `tokenizers` library, renders the chat templates with jinja2 set up
as transformers sets it up, and reports the largest differences. Needs torch, transformers,
tokenizers and jinja2. Exit status 1 when any check fails.

Usage: python3 tools/hf-parity/check_parity.py [runs/hf-parity] [report.json]

NOTE: the token-id and template comparisons have been run (tokenizers 0.23.2, jinja2 3.1.6: all
equal). The transformers logits and greedy comparisons have not, for want of a machine with torch.
"""

import json
import os
import sys

import jinja2.sandbox
import tokenizers
import torch
import transformers

LOGIT_TOLERANCE = 1e-4


def load_model(directory):
    try:
        return transformers.AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float64, attn_implementation="eager")
    except TypeError:
        return transformers.AutoModelForCausalLM.from_pretrained(directory, torch_dtype=torch.float64, attn_implementation="eager")


def render_template(template_text, case):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    return environment.from_string(template_text).render(
        messages=case["messages"],
        add_generation_prompt=case["addGenerationPrompt"],
        bos_token=case["bosToken"],
        eos_token=case["eosToken"],
    )


def check_case(root, case):
    directory = os.path.join(root, case["dir"])
    result = {"name": case["name"], "failures": []}

    model = load_model(directory).eval()
    with torch.no_grad():
        logits = model(torch.tensor([case["tokens"]])).logits[0]
    expected = torch.tensor(case["logits"], dtype=torch.float64)
    difference = (logits - expected).abs().max().item()
    result["max_logit_difference"] = difference
    result["logit_range"] = [logits.min().item(), logits.max().item()]
    if not difference < LOGIT_TOLERANCE:
        result["failures"].append(f"logits differ by {difference}")

    if "greedy" in case:
        with torch.no_grad():
            generated = model.generate(torch.tensor([case["tokens"]]), max_new_tokens=len(case["greedy"]), do_sample=False, min_new_tokens=len(case["greedy"]))
        continuation = generated[0, len(case["tokens"]):].tolist()
        result["greedy_equal"] = continuation == case["greedy"]
        if not result["greedy_equal"]:
            result["failures"].append(f"greedy continuation {continuation} differs from radpo's {case['greedy']}")

    tokenizer_file = os.path.join(directory, "tokenizer.json")
    if case["encodings"]:
        tokenizer = tokenizers.Tokenizer.from_file(tokenizer_file)
        mismatches = []
        for encoding in case["encodings"]:
            ids = tokenizer.encode(encoding["text"], add_special_tokens=False).ids
            if ids != encoding["ids"]:
                mismatches.append({"text": encoding["text"], "tokenizers": ids, "radpo": encoding["ids"]})
        result["encodings_checked"] = len(case["encodings"])
        if mismatches:
            result["failures"].append({"encodings": mismatches})

    if case["templates"]:
        with open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8") as handle:
            template_text = json.load(handle)["chat_template"]
        mismatches = []
        for rendered in case["templates"]:
            text = render_template(template_text, rendered)
            if text != rendered["text"]:
                mismatches.append({"jinja2": text, "radpo": rendered["text"]})
        result["templates_checked"] = len(case["templates"])
        if mismatches:
            result["failures"].append({"templates": mismatches})
    return result


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "runs/hf-parity"
    report_file = sys.argv[2] if len(sys.argv) > 2 else None
    with open(os.path.join(root, "expected.json"), encoding="utf-8") as handle:
        cases = json.load(handle)
    results = []
    for case in cases:
        try:
            results.append(check_case(root, case))
        except Exception as error:  # A case that cannot load is a failure to report, not a crash.
            results.append({"name": case["name"], "failures": [f"{type(error).__name__}: {error}"]})
    report = {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "results": results}
    print(json.dumps(report, indent=2))
    if report_file:
        with open(report_file, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    sys.exit(1 if any(result["failures"] for result in results) else 0)


if __name__ == "__main__":
    main()
