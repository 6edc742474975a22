#!/usr/bin/env python3
"""Independent generator of observation test vectors (docs/observation.md).

Written without pactwatch's Go code, from the specification only, so the Go
test checks one implementation against another: canonical JSON by RFC 8785
rules (sorted keys, no whitespace, shortest number form, minimal string
escaping), the context string, Ed25519 via the `cryptography` package.
Run: python3 observation/testdata/gen_vectors.py > observation/testdata/vectors.json
"""
import base64, hashlib, json
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

CONTEXT = b"pactwatch/observation/v1\n"

def norm(v):
    # RFC 8785 numbers: integral floats print without a fraction.
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return int(v)
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v

def canonical(obj):
    # For the values used here (ASCII keys, short floats, text with
    # non-ASCII and newlines) Python's sorted compact dump is RFC 8785.
    return json.dumps(norm(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

def vector(name, seed_hex, obs):
    priv = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(pub).hexdigest()[:16]
    obs = dict(obs, reporter=key_id)
    msg = CONTEXT + canonical(obs)
    sig = priv.sign(msg)
    signed = dict(obs, signature=base64.b64encode(sig).decode())
    return {
        "name": name,
        "seed_hex": seed_hex,
        "public_key": base64.b64encode(pub).decode(),
        "key_id": key_id,
        "observation": json.dumps(signed, ensure_ascii=False, indent=2),
        "signing_bytes_hex": msg.hex(),
        "signing_bytes_base64": base64.b64encode(msg).decode(),
        "signature": base64.b64encode(sig).decode(),
    }

SEED1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 test 1
SEED2 = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"  # RFC 8032 test 2

vectors = [
    vector("minimal patrol report", SEED1, {
        "id": "0b7e6c1a-3f2d-4e5b-8a9c-1d2e3f4a5b6c",
        "observed_at": "2026-11-20T06:15:00Z",
        "time_precision": "minute",
        "signed_at": "2026-11-20T06:17:42Z",
        "target": {"lat": 48.0159, "lon": 37.8028, "uncertainty_m": 500},
        "category": "explosion",
        "count": 3,
        "source_type": "patrol",
        "grade": "B2",
    }),
    vector("camera report with every field", SEED2, {
        "id": "5f0c2a4e-9b1d-4c3e-a7f8-6e5d4c3b2a19",
        "observed_at": "2026-11-20T21:43:07.25Z",
        "time_precision": "second",
        "signed_at": "2026-11-20T21:44:00Z",
        "observer": {"lat": 47.9734, "lon": 37.7419, "uncertainty_m": 10},
        "target": {"lat": 47.9812, "lon": 37.7611, "uncertainty_m": 400.5},
        "origin": {"lat": 47.9921, "lon": 37.8105, "uncertainty_m": 1500},
        "fire": {"bearing_deg": 67.5, "bearing_err_deg": 5, "distance_min_m": 1000, "distance_max_m": 4500, "direction": "W to E"},
        "category": "projectile_in_flight",
        "count": 12,
        "weapon_class": "mlrs",
        "calibre_mm": 122,
        "source_type": "static_camera",
        "grade": "A2",
        "attribution": {"party": "party-b", "confidence": "low"},
        "narrative": "Снаряди летіли із заходу на схід.\n\"Grad\" — 12 rounds, 1–4.5 km SSE.",
        "language": "uk",
        "evidence": ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    }),
    vector("imported ACLED event", SEED1, {
        "id": "8d3c9a7e-2b1f-5e4d-9c8b-7a6f5e4d3c2b",
        "observed_at": "2026-11-18T00:00:00Z",
        "time_precision": "day",
        "signed_at": "2026-11-21T09:00:00Z",
        "target": {"lat": 48.5953, "lon": 38.0004, "uncertainty_m": 2000},
        "category": "explosion",
        "count": 1,
        "source_type": "open_source",
        "grade": "F6",
        "narrative": "On 18 November 2026, shelling hit the outskirts of Bakhmut.",
        "language": "en",
        "provenance": {"format": "acled", "file_sha256": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", "row": 7, "source_id": "UKR201345"},
    }),
]
print(json.dumps(vectors, ensure_ascii=False, indent=2))
