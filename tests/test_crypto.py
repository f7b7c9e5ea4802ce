"""Secrets at rest: encrypted with the newest key, bound to their row, rotatable."""

import base64

import pytest

from portal.crypto import KeyRing, SecretUnreadable
from portal.extensions import db
from portal.models import AzureAccount

from .conftest import CLIENT_SECRET, ENCRYPTION_KEY, add_account, make_app

OLD_KEY, NEW_KEY = b"o" * 32, b"n" * 32


def test_round_trip():
    ring = KeyRing([NEW_KEY])

    assert (
        ring.decrypt(ring.encrypt(CLIENT_SECRET, context="row-1"), context="row-1") == CLIENT_SECRET
    )


def test_each_encryption_differs():
    ring = KeyRing([NEW_KEY])

    assert ring.encrypt("same", context="row") != ring.encrypt("same", context="row")


def test_a_ciphertext_moved_to_another_row_does_not_decrypt():
    ring = KeyRing([NEW_KEY])
    token = ring.encrypt(CLIENT_SECRET, context="azure-account:one:client-secret")

    with pytest.raises(SecretUnreadable) as raised:
        ring.decrypt(token, context="azure-account:two:client-secret")
    assert CLIENT_SECRET not in str(raised.value)


def test_an_altered_ciphertext_does_not_decrypt():
    ring = KeyRing([NEW_KEY])
    token = bytearray(ring.encrypt(CLIENT_SECRET, context="row"))
    token[-1] ^= 1

    with pytest.raises(SecretUnreadable):
        ring.decrypt(bytes(token), context="row")


def test_older_keys_still_decrypt_and_the_newest_encrypts():
    old_token = KeyRing([OLD_KEY]).encrypt(CLIENT_SECRET, context="row")
    ring = KeyRing([NEW_KEY, OLD_KEY])

    assert ring.decrypt(old_token, context="row") == CLIENT_SECRET
    assert not ring.is_current(old_token)
    assert ring.is_current(ring.encrypt(CLIENT_SECRET, context="row"))


def test_a_removed_key_can_no_longer_decrypt():
    old_token = KeyRing([OLD_KEY]).encrypt(CLIENT_SECRET, context="row")

    with pytest.raises(SecretUnreadable):
        KeyRing([NEW_KEY]).decrypt(old_token, context="row")


def test_database_row_swap_does_not_lend_one_accounts_secret_to_another(app, customer):
    first = add_account(customer)
    second = add_account(customer, name="Staging", client_secret="Other~" + "s" * 34)
    with app.app_context():
        one, two = db.session.get(AzureAccount, first), db.session.get(AzureAccount, second)
        two.credential_sealed = one.credential_sealed
        db.session.commit()

        with pytest.raises(SecretUnreadable):
            db.session.get(AzureAccount, second).decrypt_credential()


def test_rotate_encryption_key_reencrypts_every_secret_with_the_newest_key(
    app, customer, database_url
):
    first = add_account(customer)
    add_account(customer, name="Staging")
    newest = base64.urlsafe_b64encode(NEW_KEY).decode()
    rotated = make_app(database_url, PORTAL_ENCRYPTION_KEYS=f"{newest},{ENCRYPTION_KEY}")

    result = rotated.test_cli_runner().invoke(args=["rotate-encryption-key"])

    assert result.exit_code == 0, result.output
    assert (
        "Re-encrypted 2 client secret(s) or certificate key(s) with the newest key; "
        "0 already used it." in result.output
    )
    only_newest = make_app(database_url, PORTAL_ENCRYPTION_KEYS=newest)
    with only_newest.app_context():
        assert db.session.get(AzureAccount, first).decrypt_credential() == CLIENT_SECRET
    again = rotated.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert (
        "Re-encrypted 0 client secret(s) or certificate key(s) with the newest key; "
        "2 already used it." in again.output
    )


def test_rotation_names_the_accounts_whose_key_is_missing(app, customer, database_url):
    account_id = add_account(customer)
    unrelated = base64.urlsafe_b64encode(NEW_KEY).decode()

    result = (
        make_app(database_url, PORTAL_ENCRYPTION_KEYS=unrelated)
        .test_cli_runner()
        .invoke(args=["rotate-encryption-key"])
    )

    assert result.exit_code == 1
    assert account_id in result.output
    assert "put their old key back" in result.output
