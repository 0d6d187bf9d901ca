// Offline verification of Tongguan (TG1:) health codes, resumption notices (TGN1:) and EU
// DCC (HC1:) certificates in the browser. Written by hand on purpose: Base45, a minimal CBOR decoder/encoder and the
// COSE_Sign1 check are small, and no vendored package for them is available offline.
// Inflate uses the browser's DecompressionStream('deflate') (zlib); signatures use
// WebCrypto (ES256, EdDSA; PS256 for HC1). Mirrors codes/verify.py: the same checks,
// reasons and messages. HC1 signers come from the signed DCC trust list (the server reads
// the X.509 certificates and lists kid, alg, SPKI, validity and allowed types). A notice
// (codes/notice.py) is checked like a TG1 code with the same lists; its signed claims
// (-70001, a health code's are -70000) must agree with its prefix.
"use strict";

const TG = (() => {
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const MAX_TEXT = 4296, MAX_INFLATED = 16384, LEEWAY = 60, TL_WARN = 24 * 3600, TL_MAX = 72 * 3600;
  const MESSAGES = {
    ok: ["Valid code.", "有效码。"],
    ok_notice: ["Valid resumption notice.", "有效的复工通知。"],
    not_a_health_code: ["This is a resumption notice, not a health code.", "这是复工通知，不是健康码。"],
    not_a_notice: ["This is a health code (or certificate), not a resumption notice.", "这是健康码（或健康证书），不是复工通知。"],
    bad_prefix: ["Not a health code (unknown prefix).", "不是健康码（前缀无法识别）。"],
    too_large: ["The code is too large to be a health code.", "码内容过大，不是健康码。"],
    bad_base45: ["The code is damaged (bad characters).", "码已损坏（字符无效）。"],
    bad_compression: ["The code is damaged (bad compression).", "码已损坏（压缩数据无效）。"],
    bad_cose: ["The code is damaged (bad signature envelope).", "码已损坏（签名结构无效）。"],
    bad_algorithm: ["The code uses a signature algorithm that is not allowed.", "该码使用了不允许的签名算法。"],
    trust_list_stale: ["The trust list on this device is too old; update it before checking.", "本设备的信任列表已过期，请更新后再核验。"],
    unknown_kid: ["The code was signed by an unknown key.", "该码由未知密钥签发。"],
    bad_signature: ["The signature is not valid: the code may be forged or altered.", "签名无效：该码可能被伪造或篡改。"],
    bad_claims: ["The code content is incomplete or malformed.", "码内容不完整或格式错误。"],
    expired: ["The code has expired.", "该码已过期。"],
    not_yet_valid: ["The code is not valid yet (check the device clock).", "该码尚未生效（请检查设备时间）。"],
    key_not_valid: ["The signing key was not valid when this code was issued.", "签发该码时签名密钥不在有效期内。"],
    kind_not_allowed: ["The signing key may not issue this kind of code.", "该签名密钥无权签发此类码。"],
    revoked: ["The code has been revoked.", "该码已被撤销。"],
    no_lists: ["No trust list on this device yet; connect once to download it.", "本设备尚无信任列表，请联网一次以下载。"],
  };
  class Refusal extends Error { constructor(reason, detail) { super(detail || reason); this.reason = reason; } }
  const refuse = (reason, detail) => { throw new Refusal(reason, detail); };

  function b45decode(text) {
    const v = [];
    for (const ch of text) { const i = B45.indexOf(ch); if (i < 0) refuse("bad_base45", "bad character"); v.push(i); }
    if (v.length % 3 === 1) refuse("bad_base45", "bad length");
    const out = [];
    for (let i = 0; i < v.length; i += 3) {
      if (i + 2 < v.length) {
        const n = v[i] + v[i + 1] * 45 + v[i + 2] * 2025;
        if (n > 0xffff) refuse("bad_base45", "chunk overflow");
        out.push(n >> 8, n & 0xff);
      } else {
        const n = v[i] + v[i + 1] * 45;
        if (n > 0xff) refuse("bad_base45", "chunk overflow");
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  async function inflate(data) {
    try {
      const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate"));
      const reader = stream.getReader(); const parts = []; let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length; if (size > MAX_INFLATED) { reader.cancel(); refuse("too_large", "inflates too far"); }
        parts.push(value);
      }
      const out = new Uint8Array(size); let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      return out;
    } catch (e) { if (e instanceof Refusal) throw e; refuse("bad_compression", String(e)); }
  }

  // Minimal CBOR (RFC 8949) decoder: ints, bytes, text, arrays, maps (as Map), tags, simple values.
  function cborDecode(bytes, reason) {
    let pos = 0;
    const need = (n) => { if (pos + n > bytes.length) refuse(reason, "truncated CBOR"); };
    const len = (info) => {
      if (info < 24) return info;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info]; if (!size) refuse(reason, "bad CBOR length");
      need(size); let n = 0;
      for (let i = 0; i < size; i++) n = n * 256 + bytes[pos++];
      return n;
    };
    const item = (depth) => {
      if (depth > 16) refuse(reason, "CBOR nested too deep");
      need(1); const b = bytes[pos++], major = b >> 5, info = b & 31;
      if (major === 7) {
        if (info === 20) return false; if (info === 21) return true; if (info === 22 || info === 23) return null;
        const size = { 25: 2, 26: 4, 27: 8 }[info];
        if (size) {  // half, single, double precision floats
          need(size); const view = new DataView(bytes.buffer, bytes.byteOffset + pos, size); pos += size;
          if (size === 4) return view.getFloat32(0);
          if (size === 8) return view.getFloat64(0);
          const h = view.getUint16(0), exp = (h >> 10) & 31, frac = h & 1023, sign = h >> 15 ? -1 : 1;
          if (exp === 0) return sign * frac * 2 ** -24;
          if (exp === 31) return frac ? NaN : sign * Infinity;
          return sign * (1024 + frac) * 2 ** (exp - 25);
        }
        refuse(reason, "unsupported CBOR simple value");
      }
      const n = len(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: need(n); pos += n; return bytes.slice(pos - n, pos);
        case 3: need(n); pos += n; return new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(pos - n, pos));
        case 4: { if (n > 1000) refuse(reason, "array too long"); const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
        case 5: { if (n > 1000) refuse(reason, "map too long"); const m = new Map(); for (let i = 0; i < n; i++) { const k = item(depth + 1); m.set(k, item(depth + 1)); } return m; }
        case 6: return { tag: n, value: item(depth + 1) };
      }
      refuse(reason, "bad CBOR");
    };
    let value;
    try { value = item(0); } catch (e) { if (e instanceof Refusal) throw e; refuse(reason, String(e)); }
    if (pos !== bytes.length) refuse(reason, "trailing bytes after CBOR");
    return value;
  }

  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  }
  function sigStructure(protectedBytes, payload) {
    const ctx = new TextEncoder().encode("Signature1");
    const parts = [cborHead(4, 4), cborHead(3, ctx.length), ctx, cborHead(2, protectedBytes.length),
      protectedBytes, cborHead(2, 0), cborHead(2, payload.length), payload];
    const flat = parts.flatMap((p) => Array.from(p));
    return new Uint8Array(flat);
  }

  const b64 = (u8) => btoa(String.fromCharCode(...u8));
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const epoch = (iso) => Date.parse(iso) / 1000;

  function canonical(v) {  // RFC 8785 for float-free payloads, as codes/signed_list.py writes it
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    if (v && typeof v === "object") return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
    return JSON.stringify(v);
  }
  function pemToDer(pem) { return unb64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")); }
  async function importKey(spki, alg) {
    if (alg === "EdDSA") return crypto.subtle.importKey("spki", spki, { name: "Ed25519" }, false, ["verify"]);
    if (alg === "PS256") return crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
    return crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  }
  async function verifySig(key, alg, sig, data) {
    // PS256 as in RFC 8230 / the DCC: MGF1-SHA-256, salt length = hash length (32).
    const params = alg === "EdDSA" ? { name: "Ed25519" } : alg === "PS256" ? { name: "RSA-PSS", saltLength: 32 }
      : { name: "ECDSA", hash: "SHA-256" };
    return crypto.subtle.verify(params, key, sig, data);
  }
  const plain = (v) => {  // CBOR Maps → plain objects (hcert content for display)
    if (v instanceof Map) { const o = {}; for (const [k, x] of v) o[String(k)] = plain(x); return o; }
    if (Array.isArray(v)) return v.map(plain);
    if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, "0")).join("");
    return v;
  };
  const PREFIXES = ["TG1:", "HC1:", "TGN1:"];
  const TG_ALGS = { "-7": "ES256", "-8": "EdDSA" }, DCC_ALGS = { "-7": "ES256", "-37": "PS256" };
  const HCERT_TYPES = { v: "vaccination", t: "test", r: "recovery" };

  // Check a signed list ({payload, signature}) against the list signer's PEM; returns payload.
  async function openList(text, signerPem, type) {
    const doc = JSON.parse(text);
    if (!doc || !doc.payload || !doc.signature || doc.signature.alg !== "ES256") throw new Error("not a signed list");
    const key = await importKey(pemToDer(signerPem), "ES256");
    const ok = await verifySig(key, "ES256", unb64(doc.signature.value), new TextEncoder().encode(canonical(doc.payload)));
    if (!ok) throw new Error("list signature does not verify");
    if (doc.payload.type !== type) throw new Error("wrong list type");
    return doc.payload;
  }

  async function findSigner(candidates, alg, sig, tbs) {
    for (const k of candidates) {
      try { if (await verifySig(await importKey(unb64(k.spki), alg), alg, sig, tbs)) return k; } catch (e) { /* unusable key */ }
    }
    return null;
  }

  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  const isDate = (v) => typeof v === "string" && DATE.test(v) && !isNaN(Date.parse(v + "T00:00:00Z")) &&
    new Date(v + "T00:00:00Z").toISOString().slice(0, 10) === v;
  function codeClaims(c) {
    const p = c instanceof Map ? c.get(-70000) : null;
    const claims = c instanceof Map && p instanceof Map ? {
      issuer: c.get(1), subject: c.get(2), expires_at: c.get(4), issued_at: c.get(6), code_id: c.get(7),
      color: { g: "green", y: "yellow", r: "red" }[p.get("c")], kind: { l: "live", p: "paper" }[p.get("k")],
      masked_name: p.get("n"), rules_version: p.get("r"), proxy: p.get("p") === true } : null;
    if (!claims || typeof claims.subject !== "string" || !Number.isInteger(claims.expires_at) ||
        !Number.isInteger(claims.issued_at) || !(claims.code_id instanceof Uint8Array) || !claims.color || !claims.kind ||
        typeof claims.masked_name !== "string" || (p.has("p") && p.get("p") !== true)) refuse("bad_claims");
    return claims;
  }
  // A resumption notice: firm, notice no., USCC, district, approval day; signed by a key
  // trusted for "paper" (printed matter), as codes/notice.py says.
  function noticeClaims(c) {
    const p = c instanceof Map ? c.get(-70001) : null;
    const claims = c instanceof Map && p instanceof Map ? {
      type: "resumption_notice", issuer: c.get(1), expires_at: c.get(4), issued_at: c.get(6), code_id: c.get(7),
      notice_no: p.get("n"), firm_name: p.get("f"), uscc: p.get("u"), district: p.get("d"),
      approved_on: p.get("a"), kind: "paper" } : null;
    if (!claims || typeof claims.issuer !== "string" || !Number.isInteger(claims.expires_at) ||
        !Number.isInteger(claims.issued_at) || !(claims.code_id instanceof Uint8Array) ||
        !["notice_no", "firm_name", "uscc", "district"].every((k) => typeof claims[k] === "string") ||
        !isDate(claims.approved_on)) refuse("bad_claims");
    return claims;
  }

  // TG1 and TGN1: our codes and notices, against the trust list (and the revocation list
  // when there is one).
  async function verifyTG(s, trust, revocations, now, checks, notice) {
    const alg = TG_ALGS[s.prot.get(1)];
    if (!alg) refuse("bad_algorithm");
    checks.push("algorithm");
    if (!trust) refuse("no_lists");
    if (now > epoch(trust.expires_at) || now - epoch(trust.issued_at) > TL_MAX) refuse("trust_list_stale");
    const warnings = now - epoch(trust.issued_at) > TL_WARN ? ["trust_list_old"] : [];
    checks.push("trust_list");
    if (!(s.kid instanceof Uint8Array)) refuse("unknown_kid");
    const candidates = trust.keys.filter((k) => k.kid === b64(s.kid) && k.alg === alg);
    if (!candidates.length) refuse("unknown_kid");
    checks.push("kid");
    const key = await findSigner(candidates, alg, s.sig, sigStructure(s.protBytes, s.payload));
    if (!key) refuse("bad_signature");
    checks.push("signature");
    const c = cborDecode(s.payload, "bad_claims");
    // the prefix is not signed: the signed claims must be of the type it announces
    if (c instanceof Map && c.has(notice ? -70000 : -70001)) refuse(notice ? "not_a_notice" : "not_a_health_code");
    const claims = notice ? noticeClaims(c) : codeClaims(c);
    checks.push("claims");
    if (now > claims.expires_at + LEEWAY) refuse("expired");
    if (claims.issued_at > now + LEEWAY) refuse("not_yet_valid");
    checks.push("time");
    if (claims.issued_at < epoch(key.valid_from) || (key.valid_until && claims.issued_at > epoch(key.valid_until))) refuse("key_not_valid");
    checks.push("key_window");
    if (!key.kinds.includes(claims.kind)) refuse("kind_not_allowed");
    checks.push("kind");
    if (revocations) {
      const h = new Uint8Array(await crypto.subtle.digest("SHA-256", claims.code_id)).slice(0, 16);
      if (revocations.revoked.includes(b64(h))) refuse("revoked");
      if (now > epoch(revocations.expires_at)) warnings.push("revocation_list_expired");
    }
    checks.push("revocation");
    delete claims.code_id;
    if (notice) delete claims.kind;
    return { claims, warnings, alg };
  }

  // HC1: EU DCC, against the signer certificates of the signed DCC trust list.
  async function verifyDCC(s, dcc, now, checks) {
    const alg = DCC_ALGS[s.prot.get(1)];
    if (!alg) refuse("bad_algorithm");
    checks.push("algorithm");
    if (!dcc) refuse("no_lists");
    if (now > epoch(dcc.expires_at)) refuse("trust_list_stale");
    if (!(s.kid instanceof Uint8Array)) refuse("unknown_kid");
    const candidates = dcc.signers.filter((k) => k.kid === b64(s.kid) && k.alg === alg);
    if (!candidates.length) refuse("unknown_kid");
    checks.push("kid");
    const key = await findSigner(candidates, alg, s.sig, sigStructure(s.protBytes, s.payload));
    if (!key) refuse("bad_signature");
    checks.push("signature");
    const c = cborDecode(s.payload, "bad_claims");
    const container = c instanceof Map ? c.get(-260) : null;
    const hcert = container instanceof Map ? container.get(1) : null;
    if (!(c instanceof Map) || !Number.isInteger(c.get(6)) || !Number.isInteger(c.get(4)) || !(hcert instanceof Map)) refuse("bad_claims");
    const present = Object.keys(HCERT_TYPES).filter((t) => hcert.get(t));
    if (present.length !== 1 || !Array.isArray(hcert.get(present[0]))) refuse("bad_claims");
    const iss = c.get(1);
    const claims = { issuer: typeof iss === "string" ? iss : "", issued_at: c.get(6), expires_at: c.get(4),
      type: HCERT_TYPES[present[0]], cert_type: present[0], hcert: plain(hcert) };
    checks.push("claims");
    if (now > claims.expires_at + LEEWAY) refuse("expired");
    if (claims.issued_at > now + LEEWAY) refuse("not_yet_valid");
    checks.push("time");
    if (claims.issued_at < epoch(key.not_before)) refuse("key_not_valid", "signed before the certificate was valid");
    if (claims.expires_at > epoch(key.not_after)) refuse("key_not_valid", "code expires after its signer certificate");
    checks.push("key_window");
    if (!key.types.includes(claims.cert_type)) refuse("kind_not_allowed");
    checks.push("kind");
    return { claims, warnings: [], alg };
  }

  // trust / revocations: TG1 lists; dcc: the DCC trust list; now: epoch seconds.
  async function verify(text, trust, revocations, now, dcc) {
    const checks = [];
    let format = "";
    try {
      const prefix = typeof text === "string" ? PREFIXES.find((p) => text.startsWith(p)) : undefined;
      if (!prefix) refuse("bad_prefix");
      format = prefix.slice(0, -1);
      checks.push("prefix");
      if (text.length > MAX_TEXT) refuse("too_large");
      checks.push("size");
      const data = await inflate(b45decode(text.slice(prefix.length).trimEnd()));
      checks.push("base45", "compression");
      let msg = cborDecode(data, "bad_cose");
      if (msg && msg.tag !== undefined) { if (msg.tag !== 18) refuse("bad_cose", "not COSE_Sign1"); msg = msg.value; }
      if (!Array.isArray(msg) || msg.length !== 4) refuse("bad_cose", "not a 4-array");
      const [protBytes, unprot, payload, sig] = msg;
      if (!(protBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(sig instanceof Uint8Array) || !(unprot instanceof Map)) refuse("bad_cose");
      const prot = protBytes.length ? cborDecode(protBytes, "bad_cose") : new Map();
      if (!(prot instanceof Map)) refuse("bad_cose", "headers must be maps");
      checks.push("cose");
      const scan = { protBytes, prot, payload, sig, kid: prot.has(4) ? prot.get(4) : unprot.get(4) };
      const out = format === "HC1" ? await verifyDCC(scan, dcc, now, checks)
        : await verifyTG(scan, trust, revocations, now, checks, format === "TGN1");
      const ok = format === "TGN1" ? MESSAGES.ok_notice : MESSAGES.ok;
      return { valid: true, reason: "ok", message: ok[0], message_zh: ok[1], format,
        alg: out.alg, claims: out.claims, warnings: out.warnings, checks };
    } catch (e) {
      const reason = e instanceof Refusal ? e.reason : "bad_cose";
      const [en, zh] = MESSAGES[reason] || MESSAGES.bad_cose;
      return { valid: false, reason, message: en, message_zh: zh, format, claims: {}, warnings: [], checks };
    }
  }
  return { verify, openList, b45decode, cborDecode, canonical };
})();
