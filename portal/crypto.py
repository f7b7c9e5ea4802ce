"""Encryption of stored client secrets: AES-256-GCM with a key ring.

Fernet would be simpler but cannot bind a ciphertext to its row; AES-GCM's associated data can,
so a ciphertext copied into another account's row fails to decrypt instead of lending that
account someone else's secret. The newest key encrypts; every listed key decrypts, which lets
`flask rotate-encryption-key` move old ciphertexts forward.

Layout of a token: version (1 byte) | key id (8 bytes) | nonce (12 bytes) | ciphertext and tag.
"""

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
KEY_ID_SIZE = 8
NONCE_SIZE = 12
HEADER_SIZE = len(VERSION) + KEY_ID_SIZE + NONCE_SIZE


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key, or belongs to another row."""


def key_id(key):
    """Name a key without revealing it, so a token says which key sealed it."""
    return hashlib.sha256(b"coldsend-key-id:" + key).digest()[:KEY_ID_SIZE]


class KeyRing:
    """Encrypt with the newest key; decrypt with any key still configured."""

    def __init__(self, keys):
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._keys = {key_id(key): AESGCM(key) for key in keys}
        self._newest = key_id(keys[0])

    def encrypt(self, plaintext, *, context):
        """Seal `plaintext` so that only the same `context` (the owning row) can open it."""
        nonce = os.urandom(NONCE_SIZE)
        header = VERSION + self._newest + nonce
        sealed = self._keys[self._newest].encrypt(nonce, plaintext.encode(), _aad(header, context))
        return header + sealed

    def decrypt(self, token, *, context):
        """Open a token sealed for `context`; raise SecretUnreadable otherwise."""
        token = bytes(token)
        header, sealed = token[:HEADER_SIZE], token[HEADER_SIZE:]
        cipher = self._keys.get(header[1 : 1 + KEY_ID_SIZE])
        if not header.startswith(VERSION) or cipher is None:
            raise SecretUnreadable("sealed with an unknown key or format")
        try:
            plaintext = cipher.decrypt(header[-NONCE_SIZE:], sealed, _aad(header, context))
        except InvalidTag:
            raise SecretUnreadable("does not belong to this record or was altered") from None
        return plaintext.decode()

    def can_open(self, token):
        """Tell whether a key that sealed `token` is still configured, without opening it."""
        token = bytes(token)
        return token.startswith(VERSION) and token[1 : 1 + KEY_ID_SIZE] in self._keys

    def is_current(self, token):
        """Tell whether `token` is sealed with the newest key."""
        return bytes(token)[1 : 1 + KEY_ID_SIZE] == self._newest

    def reseal(self, token, *, context):
        """`token` sealed again with the newest key for the same `context`; itself if it
        already is. Raises SecretUnreadable as `decrypt` does."""
        if self.is_current(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)


def _aad(header, context):
    return header + b"|" + context.encode()
