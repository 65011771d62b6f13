/** Sections taken out of Markdown by heading id, as the guide's pages include them. */
import { describe, expect, it } from "vitest";
import { githubSlug } from "../src/github-slug.js";
import { expandSections } from "../src/section-include.js";
import { extractSection } from "../src/markdown-sections.js";

const DOCUMENT = [
  "# Title",
  "",
  "Intro.",
  "",
  "## The server: flags and `--config`",
  "",
  "Flags.",
  "",
  "```sh",
  "# not a heading",
  "## nor this",
  "```",
  "",
  "### Details",
  "",
  "More.",
  "",
  "## Next",
  "",
  "Other.",
  "",
  "## Next",
  "",
  "Repeated.",
].join("\n");

describe("githubSlug", () => {
  it("makes the ids GitHub makes", () => {
    expect(githubSlug("Federated backend credentials (the proxy as an OIDC provider)")).toBe(
      "federated-backend-credentials-the-proxy-as-an-oidc-provider"
    );
    expect(githubSlug("@multistore/lambda")).toBe("multistorelambda");
    expect(githubSlug("GDAL (/vsis3/)")).toBe("gdal-vsis3");
    expect(githubSlug("path_mapping and rate-limits")).toBe("path_mapping-and-rate-limits");
  });
});

describe("extractSection", () => {
  it("takes a section with its sub-sections, up to the next heading of its level, skipping code blocks", () => {
    expect(extractSection(DOCUMENT, "the-server-flags-and---config")).toBe(
      ["## The server: flags and `--config`", "", "Flags.", "", "```sh", "# not a heading", "## nor this", "```", "", "### Details", "", "More."].join("\n")
    );
  });

  it("moves the section to another level with its sub-headings, and leaves code alone", () => {
    const section = extractSection(DOCUMENT, "the-server-flags-and---config", { level: 3 });
    expect(section.split("\n").filter((line) => line.startsWith("#"))).toEqual([
      "### The server: flags and `--config`",
      "# not a heading",
      "## nor this",
      "#### Details",
    ]);
  });

  it("stops at the first sub-heading when shallow, and drops the heading line for body", () => {
    expect(extractSection(DOCUMENT, "title", { shallow: true, body: true })).toBe("Intro.");
  });

  it("numbers repeated ids as GitHub does", () => {
    expect(extractSection(DOCUMENT, "next-1")).toBe("## Next\n\nRepeated.");
  });

  it("names the ids it has when the one asked for is missing", () => {
    expect(() => extractSection(DOCUMENT, "nope")).toThrow(/no heading with id "nope" \(ids: title, the-server/);
  });
});

describe("expandSections", () => {
  it("fails the page naming the directive when a heading is missing or an option unknown", () => {
    const root = new URL("../../..", import.meta.url).pathname;
    expect(() => expandSections("<!--@section: /README.md#no-such-heading-->", `${root}apps/docs/pages/x.md`, root)).toThrow(
      /@section \/README\.md#no-such-heading in apps\/docs\/pages\/x\.md: no heading/
    );
    expect(() => expandSections("<!--@section: /README.md#multistore levels=2-->", `${root}apps/docs/pages/x.md`, root)).toThrow(
      /unknown option "levels=2"/
    );
    expect(() => expandSections("<!-- @section /README.md -->", `${root}apps/docs/pages/x.md`, root)).toThrow(/malformed directive/);
  });

  it("leaves directives in code blocks alone", () => {
    const shown = "```md\n<!--@section: /README.md#no-such-heading-->\n```";
    expect(expandSections(shown, "/x.md", "/")).toBe(shown);
  });
});
