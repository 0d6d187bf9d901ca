"""Shared fixtures for the ``codes`` tests: keys and trust lists (helpers: codes_support)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from codes_support import NOW, trusted

import codes


@pytest.fixture(scope="session")
def es256_key() -> codes.SigningKey:
    return codes.generate_key("ES256")


@pytest.fixture(scope="session")
def eddsa_key() -> codes.SigningKey:
    return codes.generate_key("EdDSA")


@pytest.fixture(scope="session")
def list_signer() -> codes.SigningKey:
    return codes.generate_key("ES256")


@pytest.fixture
def trust_list(es256_key, eddsa_key) -> codes.TrustList:
    return codes.build_trust_list([trusted(es256_key), trusted(eddsa_key)],
                                  issued_at=NOW - timedelta(hours=1))
