"""``tongguan keys ...`` and ``tongguan code ...``: signing keys, trust lists, health codes.

A thin shell over the standalone ``codes`` library, plus ``code paper SUBJECT`` (a
community worker prints a paper code for someone without a phone: stored, revocable and
logged in ``code_issues``) and ``code paper-log``. Bad input (unknown colour, missing
file, wrong passphrase...) prints one line on stderr and exits 2; ``code verify`` exits 0
for a valid code and 1 for a refused one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import getpass
import json
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import codes
from bot.config import load_settings
from codes.keys import KEY_ALGS
from codes.verdict import refused

LIVE_TTL = int(codes.api.LIVE_TTL.total_seconds())
PAPER_TTL = int(codes.api.PAPER_TTL.total_seconds())
MAX_TTL = int(codes.MAX_TTL.total_seconds())


class UsageProblem(Exception):
    """Bad command-line input; becomes one stderr line and exit code 2."""


def register(subparsers: Any) -> None:
    """Add the ``keys`` and ``code`` command groups."""
    keys = subparsers.add_parser("keys", help="health-code signing keys and trust lists")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    gen = keys_sub.add_parser("generate", help="create the first signing key (and list signer)")
    gen.add_argument("--alg", choices=KEY_ALGS, default="ES256")
    gen.set_defaults(func=_guard(run_keys_generate))
    rot = keys_sub.add_parser("rotate", help="retire the active key and start a new one")
    rot.add_argument("--alg", choices=KEY_ALGS, default=None)
    rot.set_defaults(func=_guard(run_keys_rotate))
    tl = keys_sub.add_parser("trust-list", help="print the signed trust list JSON")
    tl.add_argument("--out", type=Path, help="write to FILE instead of stdout")
    tl.add_argument("--hours", type=int, default=72, help="list lifetime (default 72)")
    tl.set_defaults(func=_guard(run_keys_trust_list))

    code = subparsers.add_parser("code", help="issue and verify health codes")
    code_sub = code.add_subparsers(dest="code_command", metavar="ACTION", required=True)
    issue = code_sub.add_parser("issue", help="sign a health code with the active key")
    issue.add_argument("--name", required=True, help="full name; only a masked form is encoded")
    issue.add_argument("--color", required=True, choices=[c.value for c in codes.Color])
    issue.add_argument("--kind", choices=[k.value for k in codes.Kind], default="live")
    issue.add_argument("--ttl", type=int, help="seconds (live 180, paper 86400; max 7 days)")
    issue.add_argument("--subject", help="pseudonymous subject id (default: random)")
    issue.add_argument("--format", choices=("text", "png", "svg"), default="text")
    issue.add_argument("--out", type=Path, help="write to FILE instead of stdout")
    issue.set_defaults(func=_guard(run_code_issue))
    verify = code_sub.add_parser("verify", help="verify a code text or a QR image; JSON out")
    verify.add_argument("text", nargs="?", help="the code text (TG1:... or HC1:...)")
    verify.add_argument("--image", type=Path, help="a photo or screenshot holding the QR code")
    verify.add_argument("--trust-list", type=Path,
                        help="signed trust list (default: the keys in the local key store)")
    verify.add_argument("--list-signer", type=Path,
                        help="list signer public key PEM (default: <keys dir>/list-signer.pub.pem)")
    verify.add_argument("--revocations", type=Path, help="signed revocation list")
    verify.add_argument("--cert", type=Path, action="append", default=[],
                        help="DCC signer certificate (DER or PEM) for HC1 codes; repeatable")
    verify.add_argument("--at", help="verify at this ISO 8601 time (default: now)")
    verify.set_defaults(func=_guard(run_code_verify))
    paper = code_sub.add_parser(
        "paper", help="issue a paper code for a subject's current status (community worker; "
                      "stored, revocable, logged)")
    paper.add_argument("subject", help="pseudonymous subject id (as in the code)")
    paper.add_argument("--by", help="who issues it, for the log (default: the OS user)")
    paper.add_argument("--hours", type=int,
                       help="lifetime in hours, 1-168 (default: setting codes.paper_hours)")
    paper.add_argument("--format", choices=("text", "png", "svg"), default="text")
    paper.add_argument("--out", type=Path, help="write to FILE instead of stdout")
    paper.set_defaults(func=_guard(run_code_paper))
    paper_log = code_sub.add_parser("paper-log", help="print the paper-code issue log "
                                                      "(JSON lines, newest first)")
    paper_log.add_argument("subject", nargs="?", help="only this subject")
    paper_log.add_argument("--limit", type=int, default=100)
    paper_log.set_defaults(func=_guard(run_code_paper_log))
    from bot.cli.declaration_cmds import add_set_status_parser

    add_set_status_parser(code_sub)  # `tongguan code set-status`, as the issue names it
    for parser in (gen, rot, tl, issue, verify):
        parser.add_argument("--keys-dir", type=Path,
                            help="key store folder (default: settings keys_dir, var/keys)")


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn library and file errors into one stderr line and exit code 2."""
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (codes.CodesError, UsageProblem) as err:
            print(f"tongguan: {err}", file=sys.stderr)
        except OSError as err:
            print(f"tongguan: {err.filename or ''}: {err.strerror}", file=sys.stderr)
        return 2
    run.__doc__ = func.__doc__
    return run


def _now() -> datetime:
    return datetime.now(UTC)


def _store(args: argparse.Namespace) -> codes.KeyStore:
    directory = args.keys_dir
    if directory is None:
        config = getattr(args, "config", None)
        directory = load_settings(Path(config) if config else None).keys_dir
    return codes.KeyStore.open(directory)


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)


def run_keys_generate(args: argparse.Namespace) -> int:
    """Create the first code-signing key."""
    record = _store(args).generate(at=_now(), alg=args.alg)
    print(f"generated {record.alg} key {record.kid.hex()} in {_store(args).directory}")
    return 0


def run_keys_rotate(args: argparse.Namespace) -> int:
    """Retire the active key (it keeps verifying its codes) and activate a new one."""
    record = _store(args).rotate(at=_now(), alg=args.alg)
    print(f"rotated: new active {record.alg} key {record.kid.hex()}")
    return 0


def run_keys_trust_list(args: argparse.Namespace) -> int:
    """Print (or write) the signed trust list."""
    if args.hours <= 0:
        raise UsageProblem("--hours must be positive")
    text = _store(args).signed_trust_list(at=_now(), lifetime=timedelta(hours=args.hours))
    _emit(text.encode("utf-8"), args.out)
    return 0


def run_code_issue(args: argparse.Namespace) -> int:
    """Issue a code with the active key as text, PNG or SVG."""
    ttl = args.ttl if args.ttl is not None else (PAPER_TTL if args.kind == "paper" else LIVE_TTL)
    if not 0 < ttl <= MAX_TTL:
        raise UsageProblem(f"--ttl must be between 1 and {MAX_TTL} seconds")
    masked = codes.mask_name(args.name)
    if not masked:
        raise UsageProblem("--name is empty")
    subject = args.subject or base64.b32encode(secrets.token_bytes(10)).decode()[:12]
    text = codes.issue_code(key=_store(args).active_signer(), subject=subject, color=args.color,
                            masked_name=masked, kind=args.kind, ttl=timedelta(seconds=ttl))
    if args.format == "text":
        _emit((text + "\n").encode("ascii"), args.out)
        return 0
    image = codes.render_png(text) if args.format == "png" else codes.render_svg(text)
    _emit(image.data, args.out)
    print(f"QR version {image.version}, {len(text)} characters", file=sys.stderr)
    return 0


def _with_declarations(args: argparse.Namespace, work: Callable[[Any], Any]) -> Any:
    """Run ``await work(declarations service)`` on a hub of the configured database."""
    from bot.cli.common import settings_from
    from bot.hub import open_base_hub
    from bot.services.declarations import declarations

    async def main() -> Any:
        async with open_base_hub(settings_from(args)) as hub:
            return await work(declarations(hub))

    return asyncio.run(main())


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def run_code_paper(args: argparse.Namespace) -> int:
    """Issue, store and log a paper code for the subject's active status."""
    from bot.services import health_codes

    if args.hours is not None and not 1 <= args.hours <= 168:
        raise UsageProblem("--hours must be between 1 and 168")
    actor = f"cli:{args.by or _os_user()}"

    async def work(svc: Any) -> Any:
        status = await health_codes.active_status_of(svc, args.subject)
        if status is None:
            raise UsageProblem(f"subject {args.subject!r} has no active status "
                               "(unknown, revoked or expired): declare first")
        try:
            return await health_codes.issue_paper_code(
                svc, status, channel="cli", actor=actor, limit=None,
                ttl=timedelta(hours=args.hours) if args.hours else None)
        except health_codes.StatusNotActive:
            raise UsageProblem(f"subject {args.subject!r}: the status was just revoked") \
                from None

    row = _with_declarations(args, work)
    if args.format == "text":
        _emit((row.text + "\n").encode("ascii"), args.out)
    else:
        image = codes.render_png(row.text) if args.format == "png" else codes.render_svg(row.text)
        _emit(image.data, args.out)
    print(f"paper code for {args.subject}, valid until {row.expires_at.isoformat()}; "
          f"logged (channel cli, by {actor})", file=sys.stderr)
    return 0


def run_code_paper_log(args: argparse.Namespace) -> int:
    """Print the paper-code issue log as JSON lines, newest first."""
    from bot.services import health_codes

    if not 1 <= args.limit <= 10_000:
        raise UsageProblem("--limit must be between 1 and 10000")
    rows = _with_declarations(args, lambda svc: health_codes.code_issues(
        svc, args.subject, limit=args.limit))
    for row in rows:
        print(json.dumps({"issued_at": row.issued_at.isoformat(), "subject": row.subject,
                          "kind": row.kind, "channel": row.channel, "actor": row.actor,
                          "cti": row.code_id.hex(), "expires_at": row.expires_at.isoformat()},
                         ensure_ascii=False))
    return 0


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return _now()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise UsageProblem(f"--at: not an ISO 8601 time: {value!r}") from err
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _verifier(args: argparse.Namespace, at: datetime) -> codes.Verifier:
    store = None
    if args.trust_list is not None or args.revocations is not None:
        signer = (args.list_signer.read_bytes() if args.list_signer is not None
                  else (store := _store(args)).list_signer_public_pem())
    trust_list: Any
    if args.trust_list is not None:
        trust_list = codes.load_trust_list(args.trust_list.read_bytes(), signer_public_key=signer)
    elif args.cert and args.keys_dir is None:
        trust_list = None
    else:
        store = store or _store(args)
        trust_list = store.trusted_keys(at=at) if store.records() else None
    revocations = (codes.load_revocation_list(args.revocations.read_bytes(),
                                              signer_public_key=signer)
                   if args.revocations is not None else None)
    return codes.Verifier(trust_list=trust_list, revocations=revocations,
                          trusted_certs=[p.read_bytes() for p in args.cert])


def run_code_verify(args: argparse.Namespace) -> int:
    """Verify a code text or image (a health code or a resumption notice) and print the
    verdict as JSON; exit 0 valid, 1 not."""
    if (args.text is None) == (args.image is None):
        raise UsageProblem("give either a code TEXT or --image FILE")
    at = _parse_at(args.at)
    verifier = _verifier(args, at)
    if args.image is not None:
        try:
            texts = codes.decode_image(args.image.read_bytes())
        except codes.QRError as err:
            if err.reason != "no_qr":
                raise
            texts = []
        verdicts = [verifier.verify_any(t, at=at) for t in texts]
        verdict = next((v for v in verdicts if v.valid), verdicts[0] if verdicts else
                       refused(codes.Reason.NO_QR, "no QR code in the image"))
    else:
        verdict = verifier.verify_any(args.text, at=at)
    print(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    return 0 if verdict.valid else 1


__all__ = ["register", "run_code_issue", "run_code_paper", "run_code_paper_log",
           "run_code_verify", "run_keys_generate", "run_keys_rotate", "run_keys_trust_list"]
