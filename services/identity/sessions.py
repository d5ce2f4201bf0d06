"""Sessions: one per login (the token's `sid`), refreshed by activity, ended by the idle limit,
logout or deactivation. The role and supplier are the directory's at login."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.identity import directory
from services.identity.directory import SESSIONS, Doc, User
from services.identity.settings import IdentitySettings
from services.kernel.errors import Unauthenticated

ENDED_LOGOUT = "the session was ended by logout"
ENDED_DEACTIVATED = "the user is deactivated"


def session_key(issuer: str, sid: str) -> str:
    """The stored id of an issuer's session."""
    return f"{issuer.rstrip('/')} {sid}"


def refresh_hash(refresh_token: str) -> str:
    """What is stored of a refresh token."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def idle_for(last_activity: datetime, now: datetime) -> timedelta:
    """How long the session has been without activity."""
    return max(timedelta(0), now - last_activity)


def idle_ended(last_activity: datetime, now: datetime, idle_s: float) -> bool:
    """Whether a session without activity since `last_activity` has ended by `now`."""
    return idle_for(last_activity, now) > timedelta(seconds=idle_s)


def idle_reason(idle_s: float) -> str:
    """Why a session ended for want of activity."""
    if idle_s >= 60 and idle_s % 60 == 0:
        return f"the session ended after {idle_s / 60:g} minutes without activity"
    return f"the session ended after {idle_s:g} seconds without activity"


@dataclass(frozen=True)
class Verdict:
    """CheckSession's answer: the session's principal, or why it ended."""

    user_id: str = ""
    role: str = ""
    supplier_id: str | None = None
    session_id: str = ""
    ended: str | None = None


def ended_reason(doc: Mapping[str, Any], now: datetime, idle_s: float) -> str | None:
    """Why a stored session no longer runs, or None while it does."""
    if doc.get("ended_at") is not None:
        return str(doc.get("ended_reason") or ENDED_LOGOUT)
    if idle_ended(doc["last_activity"], now, idle_s):
        return idle_reason(idle_s)
    return None


async def open_session(
    db: AsyncDatabase[Doc],
    *,
    issuer: str,
    sid: str,
    subject: str,
    user: User,
    now: datetime,
    refresh_token: str | None = None,
) -> Doc:
    """Store a new session of `user`, bound to their role and supplier now."""
    doc: Doc = {
        "_id": session_key(issuer, sid),
        "issuer": issuer.rstrip("/"),
        "sid": sid,
        "subject": subject,
        "user_id": user.user_id,
        "role": user.role,
        "supplier_id": user.supplier_id,
        "started_at": now,
        "last_activity": now,
        "ended_at": None,
        "ended_reason": None,
    }
    if refresh_token is not None:
        doc["refresh_hash"] = refresh_hash(refresh_token)
    await db[SESSIONS].insert_one(doc)
    return doc


async def _new_session(
    db: AsyncDatabase[Doc], claims: Mapping[str, Any], settings: IdentitySettings, now: datetime
) -> Doc:
    """The first call of a provider's session: map its claims to a directory user."""
    login = directory.login_from_claims(
        claims, user_claim=settings.user_claim, cvr_claim=settings.cvr_claim
    )
    user = await directory.find_user(db, login.user_id)
    if user is None:
        raise Unauthenticated("the user is not in the VIAS directory")
    if not user.active:
        raise Unauthenticated(ENDED_DEACTIVATED)
    directory.check_organisation(
        user,
        login.cvr,
        supplier_of_cvr=None if login.cvr is None else await directory.supplier_of(db, login.cvr),
        viso_cvr=settings.viso_cvr,
        require_cvr=settings.require_cvr,
    )
    try:
        return await open_session(
            db,
            issuer=str(claims["iss"]),
            sid=str(claims["sid"]),
            subject=str(claims["sub"]),
            user=user,
            now=now,
        )
    except DuplicateKeyError:
        found = await db[SESSIONS].find_one({"_id": session_key(claims["iss"], claims["sid"])})
        if found is None:
            raise
        return found


async def check(
    db: AsyncDatabase[Doc], claims: Mapping[str, Any], settings: IdentitySettings, now: datetime
) -> Verdict:
    """The principal of a verified token's session, recording the activity; or why it ended."""
    try:
        key = session_key(str(claims["iss"]), str(claims["sid"]))
        doc = await db[SESSIONS].find_one({"_id": key})
        if doc is None:
            doc = await _new_session(db, claims, settings, now)
        if doc["subject"] != str(claims["sub"]):
            raise Unauthenticated("the token's subject is not the session's")
        reason = ended_reason(doc, now, settings.session_idle_s)
        if reason is not None:
            return Verdict(ended=reason)
        user = await directory.find_user(db, doc["user_id"])
        if user is None or not user.active:
            return Verdict(ended=ENDED_DEACTIVATED)
    except Unauthenticated as error:
        return Verdict(ended=str(error))
    await db[SESSIONS].update_one(
        {"_id": key, "last_activity": {"$lt": now}}, {"$set": {"last_activity": now}}
    )
    return Verdict(
        user_id=doc["user_id"],
        role=doc["role"],
        supplier_id=doc.get("supplier_id"),
        session_id=doc["sid"],
    )


async def logout(db: AsyncDatabase[Doc], sid: str, user_id: str, now: datetime) -> None:
    """End a user's session by its id."""
    await db[SESSIONS].update_many(
        {"sid": sid, "user_id": user_id, "ended_at": None},
        {"$set": {"ended_at": now, "ended_reason": ENDED_LOGOUT}},
    )


async def end_sessions_of(db: AsyncDatabase[Doc], user_id: str, reason: str, now: datetime) -> None:
    """End every running session of a user."""
    await db[SESSIONS].update_many(
        {"user_id": user_id, "ended_at": None},
        {"$set": {"ended_at": now, "ended_reason": reason}},
    )


async def by_refresh_token(
    db: AsyncDatabase[Doc], refresh_token: str, idle_s: float, now: datetime
) -> Doc:
    """The running session a refresh token belongs to; Unauthenticated otherwise."""
    doc = await db[SESSIONS].find_one({"refresh_hash": refresh_hash(refresh_token)})
    if doc is None:
        raise Unauthenticated("unknown refresh token")
    reason = ended_reason(doc, now, idle_s)
    if reason is not None:
        raise Unauthenticated(reason)
    return doc
