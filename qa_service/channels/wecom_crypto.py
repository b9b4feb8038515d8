"""WeCom's callback crypto (企业微信 "加解密方案"): the SHA-1 msg_signature and the AES-CBC message envelope.

    msg_signature = sha1(sorted(token, timestamp, nonce, encrypted) joined)
    encrypted     = base64(AES-256-CBC(key, iv=key[:16], pkcs7_32(random16 + len(msg) as 4 bytes + msg + corp_id)))
    key           = base64decode(EncodingAESKey + "=")

The padding is PKCS#7 to 32-byte blocks, as WeCom documents it. The corp id at the end must be ours: a message
encrypted for another organisation with a leaked key is refused.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class CryptoRefused(ValueError):
    """The request is not a message of the configured WeCom app (bad signature, envelope or corp id)."""


class BadXml(ValueError):
    """The body is not the flat XML document WeCom sends."""


class WeComCrypto:
    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.corp_id = corp_id

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce, encrypted])).encode("utf-8")).hexdigest()

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        if not hmac.compare_digest(self.signature(timestamp, nonce, encrypted).encode(),
                                   msg_signature.encode("utf-8", "replace")):
            raise CryptoRefused("msg_signature does not match")

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoRefused("the encrypted part is not base64") from None
        if not data or len(data) % 16:
            raise CryptoRefused("the encrypted part is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad or len(plain) - pad < 20:
            raise CryptoRefused("bad padding")
        content = plain[16:-pad]
        (length,) = struct.unpack(">I", content[:4])
        if 4 + length > len(content):
            raise CryptoRefused("bad message length")
        if content[4 + length:] != self.corp_id.encode("utf-8"):
            raise CryptoRefused("the message is for another corp id")
        try:
            return content[4:4 + length].decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoRefused("the message is not UTF-8") from None


def xml_fields(raw: bytes | str) -> dict[str, str]:
    """The child elements of a flat <xml> document as a dict. A document declaring a DTD or entities is refused
    (entity expansion), and so is one that is not XML."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if _DECLARATION.search(data):
        raise BadXml("XML with a DTD or entities is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise BadXml("the body is not XML") from None
    return {child.tag: (child.text or "") for child in root}
