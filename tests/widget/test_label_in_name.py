"""WCAG 2.5.3 Label in Name: every control's accessible name contains the words it shows.

A person using speech input says what they see ("click Cymraeg"); that only works if the name
a screen reader or voice control gets for the control holds its visible text, best at the start.
The names checked here are Chromium's own, read from its accessibility tree, and Playwright's
role queries must find each control by its visible text. axe-core's check for the same fault,
``label-content-name-mismatch``, is experimental and off by default: it is switched on here.
Both documents are checked: the force's page (the launcher and exit button, in the widget's
shadow root) and the widget's frame (the conversation's controls), on a force's page of another
site, so the frame is Chromium's own process with its own accessibility tree.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import CDPSession, Frame, FrameLocator, Page, Route, expect

from tests.widget.conftest import AXE
from tests.widget.driver import REPLY_TIMEOUT_MS, Widget

pytestmark = pytest.mark.e2e

ENGLISH_SWITCH = "Cymraeg (newid i'r Gymraeg)"
WELSH_SWITCH = "English (switch to English)"
MARK = "data-label-in-name"
# Where the widget's controls are: in its shadow root on the page, in the frame's document.
PAGE_ROOT = 'document.querySelector("[data-ask-in-confidence]").shadowRoot'
FRAME_ROOT = "document"

# The widget's visible controls, each marked with an index for the lookups below, with the text
# a sighted person sees on it: text under aria-hidden (the Escape progress dots, a symbol) and
# visually hidden text (1px boxes, as .aic-visually-hidden makes) left out.
_ROOT = """(inShadow) => inShadow
    ? document.querySelector("[data-ask-in-confidence]").shadowRoot : document"""
_VISIBLE_CONTROLS = (
    f"""([mark, inShadow]) => {{
    const root = ({_ROOT})(inShadow);"""
    + """
    const shown = (element) => {
        const box = element.getBoundingClientRect();
        return element.checkVisibility({visibilityProperty: true, opacityProperty: true})
            && box.width > 1 && box.height > 1;
    };
    const visibleText = (control) => {
        const parts = [];
        const walker = document.createTreeWalker(control, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            let visible = true;
            for (let e = node.parentElement; visible; e = e.parentElement) {
                if (e.getAttribute("aria-hidden") === "true" || !shown(e)) visible = false;
                if (e === control) break;
            }
            if (visible) parts.push(node.data);
        }
        return parts.join(" ");
    };
    const controls = [...root.querySelectorAll("button, a[href], [role=button], [role=link]")];
    return controls.filter(shown).map((control, index) => {
        control.setAttribute(mark, String(index));
        const role = control.getAttribute("role") || (control.tagName === "A" ? "link" : "button");
        return {index, role, visible: visibleText(control), html: control.outerHTML.slice(0, 200)};
    });
}"""
)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


async def chromium_name(cdp: CDPSession, root: str, index: int) -> str:
    """The accessible name Chromium gives the control: what assistive technology is told."""
    found = await cdp.send(
        "Runtime.evaluate",
        {"expression": f"{root}.querySelector('[{MARK}=\"{index}\"]')"},
    )
    [node] = (
        await cdp.send(
            "Accessibility.getPartialAXTree",
            {"objectId": found["result"]["objectId"], "fetchRelatives": False},
        )
    )["nodes"]
    return str(node.get("name", {}).get("value", ""))


async def label_in_name_faults(
    document: Page | Frame, queries: Page | FrameLocator, root: str
) -> list[dict]:
    """The widget's visible controls in ``document`` (the page, or the frame, which
    ``queries`` finds things in) whose accessible name does not contain their visible text."""
    page = document if isinstance(document, Page) else document.page
    cdp = await page.context.new_cdp_session(document)
    await cdp.send("Accessibility.enable")
    faults = []
    try:
        controls = await document.evaluate(_VISIBLE_CONTROLS, [MARK, root == PAGE_ROOT])
        assert controls, "no visible controls found in the widget"
        for control in controls:
            visible = normalise(control["visible"])
            name = await chromium_name(cdp, root, control["index"])
            # Playwright's own name computation: the control can be found by what it shows
            # (its name match is a case-insensitive, whitespace-normalised substring).
            by_role = queries.get_by_role(control["role"], name=control["visible"].strip())
            found = await by_role.evaluate_all(
                f"(nodes, i) => nodes.some(n => n.getAttribute('{MARK}') === String(i))",
                control["index"],
            )
            if not visible or visible not in normalise(name) or not found:
                faults.append({**control, "name": name, "found_by_visible_text": found})
    finally:
        await document.evaluate(
            f"""([mark, inShadow]) => ({_ROOT})(inShadow)
                .querySelectorAll(`[${{mark}}]`).forEach((e) => e.removeAttribute(mark))""",
            [MARK, root == PAGE_ROOT],
        )
        await cdp.detach()
    return faults


async def axe_violations(document: Page | Frame) -> tuple[list[dict], bool]:
    """axe-core's WCAG 2.1 A/AA violations in the page's or the frame's own document, with
    label-content-name-mismatch switched on, and whether that rule found anything to check."""
    await document.evaluate(AXE.read_text())
    result = await document.evaluate(
        """() => axe.run(document, {
            iframes: false,
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            rules: {"label-content-name-mismatch": {enabled: true}},
        })"""
    )
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
    ran = any(
        rule["id"] == "label-content-name-mismatch"
        for group in ("violations", "passes", "incomplete", "inapplicable")
        for rule in result[group]
    )
    assert ran, "axe did not run label-content-name-mismatch"
    applied = any(
        rule["id"] == "label-content-name-mismatch"
        for group in ("violations", "passes", "incomplete")
        for rule in result[group]
    )
    return violations, applied


async def frame_label_in_name_faults(widget: Widget) -> list[dict]:
    return await label_in_name_faults(await widget.content_frame(), widget.frame, FRAME_ROOT)


async def assert_labels_in_names(widget: Widget) -> None:
    """On the page and, while the chat is open, in the frame."""
    assert await label_in_name_faults(widget.page, widget.page, PAGE_ROOT) == []
    violations, _ = await axe_violations(widget.page)
    assert violations == []
    if await widget.panel.is_visible():
        assert await frame_label_in_name_faults(widget) == []
        violations, _ = await axe_violations(await widget.content_frame())
        assert violations == []


async def test_every_visible_control_is_named_with_what_it_shows_in_english_and_welsh(
    page: Page, bot_server, force_site
):
    widget = Widget(page)
    await page.goto(force_site.page(bot_server.url))
    # Closed: the exit button and the launcher.
    await assert_labels_in_names(widget)

    await widget.open()
    await widget.wait_for_greeting()
    await expect(widget.choices.first).to_be_visible()
    # The switch is named by the word it shows, then what it does, in Welsh and marked so.
    frame = widget.frame
    switch = frame.get_by_role("button", name=ENGLISH_SWITCH, exact=True)
    await expect(switch).to_have_attribute("lang", "cy")
    await expect(switch).to_have_text(re.compile(r"^\s*Cymraeg\b"))
    await assert_labels_in_names(widget)

    # A reply with a link (named "... (opens in a new tab)") and a reply button.
    async def reply(route: Route) -> None:
        await route.fulfill(
            json={
                "replies": [
                    {
                        "text": "See https://www.police.uk/advice for more.",
                        "buttons": [{"title": "Next", "payload": "/next"}],
                    }
                ]
            },
        )

    await page.route("**/widget/api/message", reply)
    await widget.say("Someone is threatening to share my photos")
    await page.unroute("**/widget/api/message", reply)
    await expect(frame.get_by_role("link", name="www.police.uk/advice")).to_be_visible()
    await frame.get_by_role("button", name="Delete my conversation").click()
    await expect(frame.get_by_role("button", name="Yes, delete it")).to_be_focused()
    await assert_labels_in_names(widget)
    await frame.get_by_role("button", name="Cancel", exact=True).click()

    # The checks catch the fault this replaced: a name without the word shown ("Cymraeg").
    broken = frame.locator(".aic-lang-switch")
    await broken.evaluate("b => b.setAttribute('aria-label', \"Newid i'r Gymraeg\")")
    [fault] = await frame_label_in_name_faults(widget)
    assert fault["visible"].strip() == "Cymraeg" and fault["name"] == "Newid i'r Gymraeg"
    violations, applied = await axe_violations(await widget.content_frame())
    assert applied
    assert [v["id"] for v in violations] == ["label-content-name-mismatch"], violations
    await broken.evaluate("b => b.removeAttribute('aria-label')")
    await expect(switch).to_be_visible()

    # Switched to Welsh: the switch now shows "English", and every control is relabelled.
    bots = await widget.bot_messages.count()
    await switch.click()
    await widget.wait_for_reply(bots)
    switch = frame.get_by_role("button", name=WELSH_SWITCH, exact=True)
    await expect(switch).to_be_focused()
    await expect(switch).to_have_attribute("lang", "en")
    await expect(switch).to_have_text(re.compile(r"^\s*English\b"))
    await expect(frame.get_by_role("button", name="Anfon", exact=True)).to_be_visible()
    # The page's launcher follows the frame's language.
    await expect(page.get_by_role("button", name="Lleihau'r sgwrs")).to_be_visible()
    await assert_labels_in_names(widget)
    await frame.get_by_role("button", name="Dileu fy sgwrs").click()
    await expect(frame.get_by_role("button", name="Ydw, dilëwch hi")).to_be_focused()
    await assert_labels_in_names(widget)
    await frame.get_by_role("button", name="Canslo", exact=True).click()


async def test_a_welsh_page_names_its_switch_with_what_it_shows(page: Page, bot_server, force_site):
    widget = Widget(page)
    await page.goto(force_site.page(bot_server.url, lang="cy", title="Heddlu"))
    await assert_labels_in_names(widget)
    await page.get_by_role("button", name="Gofyn yn Gyfrinachol").click()
    await expect(widget.bot_messages.first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    switch = widget.frame.get_by_role("button", name=WELSH_SWITCH, exact=True)
    await expect(switch).to_have_attribute("lang", "en")
    await assert_labels_in_names(widget)
