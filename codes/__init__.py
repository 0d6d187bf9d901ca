"""Tongguan health codes: issue, sign, verify, QR — a library that never imports ``bot``.

Format: CWT claims → COSE_Sign1 (ES256 or EdDSA) → zlib → Base45 → ``TG1:``; EU DCC
``HC1:`` codes are verified too; resumption notices (``TGN1:``, :mod:`codes.notice`) are a
claim type of their own in the same envelope. See docs/codes.md.
"""

from codes.algs import ALG_NAMES, DCC_ALLOWED, TG_ALLOWED
from codes.api import MAX_TTL, issue_code, verify_code, verify_image, verify_notice
from codes.claims import PROXY_KEY, TG_CLAIM, CodeClaims, Color, Kind, new_code_id
from codes.dcc import DCC_EKU, DccClaims, DccSigner
from codes.dcc_trust import (
                          DCC_TRUST_LIST_TYPE,
                          dcc_kid,
                          load_dcc_certificates,
                          load_dcc_trust_list,
                          sign_dcc_trust_list,
)
from codes.envelope import DCC_PREFIX, NOTICE_PREFIX, TG_PREFIX, open_code
from codes.errors import (
                          CodesError,
                          IssueError,
                          KeyStoreError,
                          QRError,
                          SignedListError,
                          SigningKeyError,
)
from codes.keys import (
                          SigningKey,
                          TrustedKey,
                          generate_key,
                          kid_of,
                          load_private_key_pem,
                          load_public_key,
                          private_key_pem,
)
from codes.keystore import PASSPHRASE_ENV, KeyRecord, KeyStore
from codes.masking import mask_name
from codes.notice import (
                          MAX_NOTICE_TTL,
                          NOTICE_CLAIM,
                          NOTICE_KIND,
                          NOTICE_TYPE,
                          NoticeClaims,
                          issue_notice,
)
from codes.policy import CLOCK_SKEW_LEEWAY, Policy
from codes.qr import QRImage, decode_image, qr_version, render_png, render_svg
from codes.reasons import Notice, Reason, message
from codes.revocation import (
                          RevocationList,
                          build_revocation_list,
                          load_revocation_list,
                          revocation_hash,
                          sign_revocation_list,
)
from codes.trustlist import TrustList, build_trust_list, load_trust_list, sign_trust_list
from codes.verdict import Verdict
from codes.verify import CHECKS, Verifier

__all__ = [
    "ALG_NAMES", "CHECKS", "CLOCK_SKEW_LEEWAY", "DCC_ALLOWED", "DCC_EKU", "DCC_PREFIX",
    "DCC_TRUST_LIST_TYPE", "MAX_NOTICE_TTL", "MAX_TTL", "NOTICE_CLAIM", "NOTICE_KIND",
    "NOTICE_PREFIX", "NOTICE_TYPE", "PASSPHRASE_ENV", "PROXY_KEY", "TG_ALLOWED", "TG_CLAIM",
    "TG_PREFIX",
    "CodeClaims", "CodesError", "Color", "DccClaims", "DccSigner", "IssueError", "KeyRecord",
    "KeyStore", "KeyStoreError", "Kind", "Notice", "NoticeClaims", "Policy", "QRError",
    "QRImage", "Reason",
    "RevocationList", "SignedListError", "SigningKey", "SigningKeyError", "TrustList",
    "TrustedKey", "Verdict", "Verifier",
    "build_revocation_list", "build_trust_list", "dcc_kid", "decode_image", "generate_key",
    "issue_code", "issue_notice", "kid_of", "load_dcc_certificates", "load_dcc_trust_list",
    "load_private_key_pem", "load_public_key", "load_revocation_list",
    "load_trust_list", "mask_name", "message", "new_code_id", "open_code", "private_key_pem",
    "qr_version", "render_png", "render_svg", "revocation_hash", "sign_dcc_trust_list",
    "sign_revocation_list", "sign_trust_list", "verify_code", "verify_image", "verify_notice",
]
