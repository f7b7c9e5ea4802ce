"""A verification's result as ColdSend's support staff read it: per step, what Azure answered
and the fix the page shows beside that step, as data (`--json`) or as a plain-text table."""

from .verification.catalogue import guidance_for, say
from .verification.steps import Step, StepState

# States whose step the page explains with the catalogue's guidance.
EXPLAINED = {StepState.FAILED, StepState.ERROR, StepState.WARNING, StepState.WAITING}


def result(verification):
    """`{"verification_id", "state", "failed_step", "code", "steps": [...]}`; each step
    `{"step", "guide_step", "title", "state", "code", "azure_message", "facts"}` and, where the
    page explains it, `"guidance": {"summary", "meaning", "fix": [...]}`."""
    steps = [step_result(row, verification.account) for row in verification.steps]
    return {**verification.outcome, "steps": steps}


def step_result(row, account):
    found = {
        "step": row.step.value,
        "guide_step": row.step.number if row.step.in_guide else None,
        "title": row.step.title,
        "state": row.state.value,
        "code": row.code,
        "azure_message": row.azure_message,
        "facts": row.facts or {},
    }
    if row.state in EXPLAINED and row.code:
        guidance = guidance_for(row.code, row.step)
        found["guidance"] = {
            "summary": say(guidance.summary, row.facts, account),
            "meaning": say(guidance.meaning, row.facts, account),
            "fix": [say(action, row.facts, account) for action in guidance.fix],
        }
    return found


def table(found):
    """The result as lines of text: one row per step, its fix indented under a step the page
    explains, then Azure's own words and the ids support quotes to Microsoft."""
    lines = [f"Verification {found['verification_id']}: {found['state']}", ""]
    names = [step["title"] if step["guide_step"] else "Dry run" for step in found["steps"]]
    width = max(map(len, names))
    for step, name in zip(found["steps"], names, strict=True):
        number, code = step["guide_step"] or "-", step["code"] or ""
        lines.append(f"{number}  {name:<{width}}  {step['state']:<8}  {code}".rstrip())
        guidance = step.get("guidance")
        if guidance:
            lines.append(f"{INDENT}{guidance['summary']} {guidance['meaning']}")
            lines += [f"{INDENT}{n}. {action}" for n, action in enumerate(guidance["fix"], 1)]
            message = step["azure_message"] or ""
            lines += [f"{INDENT}{line}" for line in message.splitlines()]
            lines += [
                f"{INDENT}{key}: {step['facts'][key]}"
                for key in ("trace_id", "correlation_id", "request_id")
                if step["facts"].get(key) and step["facts"][key] not in message
            ]
        elif step["state"] == StepState.SKIPPED and step["facts"].get("blocked_by"):
            blocker = Step(step["facts"]["blocked_by"])
            lines.append(f"{INDENT}Not checked until {blocker.label} passes.")
    return "\n".join(lines)


INDENT = " " * 5
