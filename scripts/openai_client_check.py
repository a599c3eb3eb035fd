#!/usr/bin/env python3
"""Drives Guichê's embedding and generator services with the official `openai` package — a client
nobody here wrote. Exits non-zero (with the failing check) when anything is off.

Usage: openai_client_check.py EMBEDDING_BASE_URL GENERATOR_BASE_URL   (e.g. http://127.0.0.1:8001/v1)
"""
import math
import sys

import openai


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {message}")


def main() -> int:
    embedding_url, generator_url = sys.argv[1], sys.argv[2]
    embeddings = openai.OpenAI(base_url=embedding_url, api_key="unused", max_retries=0)
    texts = ["Qual o procedimento para renovação da CNH?", "Como renovar a carteira de motorista?"]
    as_base64 = embeddings.embeddings.create(model="all-MiniLM-L6-v2", input=texts)  # the client asks for base64
    as_float = embeddings.embeddings.create(model="all-MiniLM-L6-v2", input=texts, encoding_format="float")
    check(len(as_base64.data) == 2 and len(as_base64.data[0].embedding) == 384, "embeddings: 2 vectors of 384 (base64 transport)")
    check(all(abs(a - b) < 1e-6 for a, b in zip(as_base64.data[1].embedding, as_float.data[1].embedding)), "embeddings: base64 and float agree")
    check(abs(math.sqrt(sum(v * v for v in as_float.data[0].embedding)) - 1) < 1e-3, "embeddings: unit length")
    check(as_float.usage.prompt_tokens > 0, "embeddings: usage reported")

    chat = openai.OpenAI(base_url=generator_url, api_key="unused", max_retries=0)
    messages = [{"role": "system", "content": "Responda em português."}, {"role": "user", "content": "O que é a CNH?"}]
    whole = chat.chat.completions.create(model="qwen", messages=messages, max_tokens=16, temperature=0)
    text = whole.choices[0].message.content
    check(bool(text) and whole.choices[0].finish_reason in ("stop", "length"), f"chat: answer {text!r}")
    check(whole.usage.completion_tokens <= 16 and whole.usage.prompt_tokens > 0, "chat: usage reported")

    pieces, usage, reasons = [], None, []
    for chunk in chat.chat.completions.create(
        model="qwen", messages=messages, max_tokens=16, temperature=0, stream=True, stream_options={"include_usage": True}
    ):
        if chunk.choices:
            if chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            if chunk.choices[0].finish_reason:
                reasons.append(chunk.choices[0].finish_reason)
        if chunk.usage:
            usage = chunk.usage
    check(len(pieces) > 1, f"chat stream: {len(pieces)} pieces")
    check("".join(pieces) == text, "chat stream: same text as the whole answer (greedy)")
    check(len(reasons) == 1 and usage is not None, "chat stream: one finish reason and a usage chunk")

    try:
        chat.chat.completions.create(model="qwen", messages=[], max_tokens=4)
        check(False, "chat: empty messages must fail")
    except openai.BadRequestError as error:
        check(error.status_code == 400 and "messages" in str(error), "chat: empty messages -> 400 with a message")
    try:
        embeddings.embeddings.create(model="x", input=[""])
        check(False, "embeddings: empty text must fail")
    except openai.BadRequestError as error:
        check(error.status_code == 400, "embeddings: empty text -> 400")
    return 0


if __name__ == "__main__":
    sys.exit(main())
