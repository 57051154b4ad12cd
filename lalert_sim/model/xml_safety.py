"""The one hardened path for untrusted XML (CAP, JMA, EDXL-DE): refuse, parse, validate.

A document is refused before it is parsed when it is too large or declares a DTD,
entities or external references (defusedxml: billion laughs, XXE); it is then
parsed by lxml with entity resolution, DTD loading and the network off and
libxml2's size limits on, and checked against a packaged XML Schema whose imports
all resolve to packaged files. Errors name the file, the line and what was
expected, never the document's text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from lxml import etree

from lalert_sim.errors import Problem, ScenarioError, shown
from lalert_sim.model.files import MIB

MAX_SCHEMA_ERRORS = 10
"""Most schema errors reported for one document (the first is usually the one to fix)."""


def _parser() -> etree.XMLParser:
    """An lxml parser that resolves nothing, loads nothing and reaches nothing."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_safely(data: bytes, name: str, what: str, limit_bytes: int) -> etree._Element:
    """The root element of untrusted XML bytes, refused (ScenarioError naming ``name``) when over
    ``limit_bytes``, when it declares a DTD, entities or external references, or when not well-formed.

    ``what`` names the format in messages ("CAP", "JMA XML", "EDXL-DE").
    """
    if len(data) > limit_bytes:
        limit = f"{limit_bytes // MIB} MiB" if limit_bytes % MIB == 0 else f"{limit_bytes // 1024} KiB"
        article = "an" if what[:1] in "AEIOU" else "a"
        raise ScenarioError([Problem(f"larger than the limit of {limit} for {article} {what} file", file=name)])
    try:
        safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ScenarioError(
            [
                Problem(
                    f"refused: the XML declares a DTD or entities ({type(exc).__name__}); "
                    f"{what} never needs them and they are a known attack",
                    file=name,
                )
            ]
        ) from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's problem; expat's words hold no text
        raise ScenarioError([Problem(f"not well-formed XML: {exc}", file=name)]) from None
    try:
        return etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        problem = "cannot be read within the limits (elements nested under 256 deep, texts under 10 MB)"
        raise ScenarioError([Problem(problem, file=name, line=line)]) from None


def namespace_of(root: etree._Element) -> str:
    """The namespace URI of an element (empty when it has none)."""
    return etree.QName(root).namespace or ""


def require_root(root: etree._Element, tag: str, what: str, name: str) -> None:
    """ScenarioError unless ``root`` is the element ``tag`` (Clark notation ``{ns}local``)."""
    if root.tag != tag:
        expected = etree.QName(tag)
        raise ScenarioError(
            [
                Problem(
                    f"not a {what} message: root element is {shown(str(root.tag), 80)}, "
                    f"expected {expected.localname!r} in namespace {expected.namespace}",
                    file=name,
                    line=root.sourceline,
                )
            ]
        )


@cache
def packaged_schema(package: str, filename: str) -> etree.XMLSchema:
    """The XML Schema ``filename`` packaged in ``package``, its imports resolved beside it (never fetched)."""
    with resources.as_file(resources.files(package).joinpath(filename)) as path:
        document = etree.parse(str(path), _parser())
        return etree.XMLSchema(document)


def check_schema(root: etree._Element, schema: etree.XMLSchema, what: str, name: str) -> None:
    """ScenarioError listing the first schema errors (file, line, element, what it expects) when invalid."""
    if schema.validate(root):
        return
    raise ScenarioError(
        [
            Problem(f"not valid {what}: {without_values(e.message)}", file=name, line=e.line)
            for e in list(schema.error_log)[:MAX_SCHEMA_ERRORS]
        ]
    )


def without_values(message: str) -> str:
    """A schema error without the offending value (the element and what it expects are enough)."""
    return re.sub(r"The value '.*?' ", "The value ", message, flags=re.DOTALL)[:300]
