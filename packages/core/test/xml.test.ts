/** The XML parser and renderer, and the two request documents we read: CompleteMultipartUpload and Delete. */
import { describe, expect, it } from "vitest";
import { childElement, childElements, childText, escapeXml, parseXml } from "../src/backend.js";
import { MAX_DELETE_KEYS, parseDeleteRequest } from "../src/operations/delete-objects.js";
import { parseCompleteMultipartUpload } from "../src/operations/multipart.js";
import { clientXmlText, parseClientXml, xmlElement, XmlParseError } from "../src/xml.js";
import { thrown } from "./helpers/errors.js";

describe("escapeXml / xmlElement", () => {
  it("escapes the five special characters and carriage returns, and nothing else", () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&apos;f");
    expect(escapeXml("plain €/😀 text\tand\nlines")).toBe("plain €/😀 text\tand\nlines");
    expect(escapeXml("&amp;")).toBe("&amp;amp;");
    // A parser reads a literal CR as a line feed: the key `a\rb` would come back as `a\nb`.
    expect(escapeXml("a\rb\r\nc")).toBe("a&#13;b&#13;\nc");
  });

  it("round-trips through the parser", () => {
    const text = `<key> & "quoted" 'single' ]]> € a\rb\r\nc`;
    expect(parseXml(`<a>${escapeXml(text)}</a>`).text).toBe(text);
    expect(parseXml(`<a v="${escapeXml(text)}"/>`).attributes.v).toBe(text);
  });

  it("renders an element, or nothing for undefined", () => {
    expect(xmlElement("Key", "a<b")).toBe("<Key>a&lt;b</Key>");
    expect(xmlElement("Size", 0)).toBe("<Size>0</Size>");
    expect(xmlElement("IsTruncated", false)).toBe("<IsTruncated>false</IsTruncated>");
    expect(xmlElement("Marker", undefined)).toBe("");
  });
});

describe("parseXml: well-formed documents", () => {
  it("reads elements, children and text", () => {
    const root = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<A><B>one</B><C/><B>two</B></A>\n');
    expect(root.name).toBe("A");
    expect(root.children.map((child) => child.name)).toEqual(["B", "C", "B"]);
    expect(childElements(root, "B").map((child) => child.text)).toEqual(["one", "two"]);
    expect(childText(root, "C")).toBe("");
    expect(childElement(root, "D")).toBeUndefined();
  });

  it("decodes named and numeric entities", () => {
    expect(parseXml("<a>&lt;&gt;&amp;&quot;&apos;</a>").text).toBe(`<>&"'`);
    expect(parseXml("<a>&#65;&#x42;&#X43;&#8364;&#x1F600;</a>").text).toBe("ABC€😀");
  });

  it("keeps CDATA verbatim", () => {
    expect(parseXml("<a><![CDATA[<not> &markup; ]]></a>").text).toBe("<not> &markup; ");
    expect(parseXml("<a>x<![CDATA[&]]>y</a>").text).toBe("x&y");
  });

  it("skips comments and processing instructions", () => {
    const root = parseXml("<!-- before --><a><!-- <b>not an element</b> -->t<?pi x?>u</a><!-- after -->");
    expect(root.children).toEqual([]);
    expect(root.text).toBe("tu");
  });

  it("drops namespace prefixes and reads attributes", () => {
    const root = parseXml(`<s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/" a='1' b = "x&amp;y"><s3:Quiet>true</s3:Quiet></s3:Delete>`);
    expect(root.name).toBe("Delete");
    expect(root.attributes).toMatchObject({ s3: "http://s3.amazonaws.com/doc/2006-03-01/", a: "1", b: "x&y" });
    expect(childText(root, "Quiet")).toBe("true");
    expect(parseXml('<A xmlns="urn:x"><B/></A>').children[0]!.name).toBe("B");
  });

  it("accepts end tags with a namespace prefix and trailing whitespace", () => {
    expect(parseXml("<x:a><x:b>1</x:b ></x:a>").children[0]!.text).toBe("1");
  });
});

describe("parseXml: malformed documents", () => {
  it.each([
    ["a DOCTYPE", '<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>'],
    ["a plain DOCTYPE", "<!DOCTYPE a><a/>"],
    ["an unclosed element", "<a><b></b>"],
    ["a mismatched end tag", "<a><b></a></b>"],
    ["a stray end tag", "<a></a></b>"],
    ["two root elements", "<a/><b/>"],
    ["text outside the root", "<a/>trailing"],
    ["text before the root", "leading<a/>"],
    ["a bare &", "<a>fish & chips</a>"],
    ["a bare & in an attribute", '<a v="&"/>'],
    ["an unknown entity", "<a>&nbsp;</a>"],
    ["an out-of-range character reference", "<a>&#x110000;</a>"],
    ["an unterminated comment", "<a><!-- x</a>"],
    ["an unterminated CDATA section", "<a><![CDATA[x</a>"],
    ["an unterminated processing instruction", "<?xml version='1.0'"],
    ["a malformed start tag", "<a b></a>"],
    ["a bad element name", "<1a></1a>"],
    ["an empty document", ""],
    ["whitespace only", "  \n "],
  ])("refuses %s", (_, source) => {
    expect(() => parseXml(source)).toThrow(XmlParseError);
  });
});

describe("parseCompleteMultipartUpload", () => {
  const doc = (parts: string) => `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${parts}</CompleteMultipartUpload>`;
  const part = (number: string | number, etag = '"e"', extra = "") => `<Part><PartNumber>${number}</PartNumber><ETag>${etag}</ETag>${extra}</Part>`;

  it("reads parts in order with their ETags (quotes kept, entities decoded)", () => {
    const parts = parseCompleteMultipartUpload(doc(part(1, "&quot;aaa&quot;") + part(2, '"bbb"') + part(10, " ccc ")));
    expect(parts).toEqual([
      { partNumber: 1, etag: '"aaa"' },
      { partNumber: 2, etag: '"bbb"' },
      { partNumber: 10, etag: "ccc" },
    ]);
  });

  it("keeps checksums per part", () => {
    const parts = parseCompleteMultipartUpload(
      doc(part(1, '"a"', "<ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumSHA256> xyz= </ChecksumSHA256>") + part(2)),
    );
    expect(parts[0]).toEqual({ partNumber: 1, etag: '"a"', checksums: { ChecksumCRC32: "AAAAAA==", ChecksumSHA256: "xyz=" } });
    expect(parts[1]).not.toHaveProperty("checksums");
  });

  it("accepts gaps and the bounds 1 and 10000", () => {
    expect(parseCompleteMultipartUpload(doc(part(1) + part(10000))).map((p) => p.partNumber)).toEqual([1, 10000]);
  });

  it("refuses parts out of order or repeated with InvalidPartOrder", () => {
    expect(thrown(() => parseCompleteMultipartUpload(doc(part(2) + part(1))))).toMatchObject({ code: "InvalidPartOrder", status: 400 });
    expect(thrown(() => parseCompleteMultipartUpload(doc(part(1) + part(1))))).toMatchObject({ code: "InvalidPartOrder" });
  });

  it.each(["0", "10001", "99999"])("refuses part number %s with InvalidArgument", (number) => {
    expect(thrown(() => parseCompleteMultipartUpload(doc(part(number))))).toMatchObject({ code: "InvalidArgument", status: 400 });
  });

  it.each(["", "-1", "1.5", "abc", "0x1", "123456", "1e3"])("refuses the part number %j with MalformedXML", (number) => {
    expect(thrown(() => parseCompleteMultipartUpload(doc(part(number))))).toMatchObject({ code: "MalformedXML", status: 400 });
  });

  it("refuses parts without PartNumber or ETag", () => {
    expect(thrown(() => parseCompleteMultipartUpload(doc('<Part><ETag>"e"</ETag></Part>')))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseCompleteMultipartUpload(doc("<Part><PartNumber>1</PartNumber></Part>")))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseCompleteMultipartUpload(doc(part(1, ""))))).toMatchObject({ code: "MalformedXML" });
  });

  it("refuses an empty list, another root and broken XML with MalformedXML", () => {
    expect(thrown(() => parseCompleteMultipartUpload(doc("")))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseCompleteMultipartUpload("<Other>" + part(1) + "</Other>"))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseCompleteMultipartUpload(""))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseCompleteMultipartUpload(doc(part(1)).slice(0, -5)))).toMatchObject({ code: "MalformedXML" });
  });
});

describe("parseDeleteRequest", () => {
  const doc = (inner: string) => `<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</Delete>`;
  const object = (key: string) => `<Object><Key>${key}</Key></Object>`;

  it("reads keys in order, exactly (whitespace and entities)", () => {
    const request = parseDeleteRequest(doc(object("b") + object(" spaced ") + object("a&amp;b") + object("€/x")));
    expect(request).toMatchObject({ keys: ["b", " spaced ", "a&b", "€/x"], quiet: false });
  });

  it("reads each entry's VersionId, and refuses an empty one", () => {
    const request = parseDeleteRequest(doc(object("a") + "<Object><Key>b</Key><VersionId>v&amp;1</VersionId></Object>"));
    expect(request.entries).toEqual([{ key: "a" }, { key: "b", versionId: "v&1" }]);
    expect(thrown(() => parseDeleteRequest(doc("<Object><Key>b</Key><VersionId></VersionId></Object>")))).toMatchObject({ code: "MalformedXML" });
  });

  it("reads Quiet", () => {
    expect(parseDeleteRequest(doc("<Quiet>true</Quiet>" + object("k"))).quiet).toBe(true);
    expect(parseDeleteRequest(doc("<Quiet> TRUE </Quiet>" + object("k"))).quiet).toBe(true);
    expect(parseDeleteRequest(doc("<Quiet>false</Quiet>" + object("k"))).quiet).toBe(false);
    expect(parseDeleteRequest(doc(object("k"))).quiet).toBe(false);
  });

  it("accepts 1000 keys and refuses 1001", () => {
    expect(MAX_DELETE_KEYS).toBe(1000);
    const keys = Array.from({ length: 1000 }, (_, index) => object(`k${index}`)).join("");
    expect(parseDeleteRequest(doc(keys)).keys).toHaveLength(1000);
    expect(thrown(() => parseDeleteRequest(doc(keys + object("one-more"))))).toMatchObject({ code: "MalformedXML", status: 400 });
  });

  it("refuses an Object without Key, no objects, another root or broken XML", () => {
    expect(thrown(() => parseDeleteRequest(doc("<Object><VersionId>1</VersionId></Object>")))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseDeleteRequest(doc("<Quiet>true</Quiet>")))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseDeleteRequest(`<Remove>${object("k")}</Remove>`))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseDeleteRequest(doc(object("a & b"))))).toMatchObject({ code: "MalformedXML" });
    expect(thrown(() => parseDeleteRequest(`<!DOCTYPE Delete>${doc(object("k")).replace(/^<\?xml[^>]*>/, "")}`))).toMatchObject({ code: "MalformedXML" });
  });

  it("refuses characters XML does not allow, literal or referenced (they would be echoed into the answer)", () => {
    for (const key of ["a\u0000", "a\u0001", "a\u001f", "a\ufffe", "a\ud800", "a&#0;", "a&#x1;", "a&#xD800;", "a&#xFFFF;", "a&#x110000;"]) {
      expect(thrown(() => parseDeleteRequest(doc(object(key)))), JSON.stringify(key)).toMatchObject({ code: "MalformedXML" });
    }
    // Tab, line breaks, astral characters and references to them are XML.
    expect(parseDeleteRequest(doc(object("a\tb\r\nc \u{1F600} &#x1F600; &#9;"))).keys).toEqual(["a\tb\r\nc \u{1F600} \u{1F600} \t"]);
  });
});

describe("parseXml: bounded work on hostile documents", () => {
  const catchError = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it("refuses deep nesting, element floods and attribute floods as soon as they pass a bound", () => {
    const deep = `<Delete>${"<a>".repeat(500_000)}${"</a>".repeat(500_000)}</Delete>`;
    expect(catchError(() => parseXml(deep))).toBeInstanceOf(XmlParseError);
    expect(catchError(() => parseClientXml(deep, "Delete"))).toMatchObject({ code: "MalformedXML" });
    const flat = `<Delete>${"<Object><Key>k</Key></Object>".repeat(70_000)}</Delete>`;
    expect(catchError(() => parseClientXml(`<Delete>${"&amp".repeat(10)}</Delete>`, "Delete"))).toMatchObject({ code: "MalformedXML" });
    expect(parseClientXml("<Delete><Key>&amp;lt; &#65;&#x42;&apos;</Key></Delete>", "Delete").children[0]!.text).toBe("&lt; AB'");
    expect(flat.length).toBeLessThan(2.1 * 1024 * 1024);
    expect(catchError(() => parseClientXml(flat, "Delete"))).toMatchObject({ code: "MalformedXML" });
    const attributes = `<Delete ${Array.from({ length: 100_000 }, (_, index) => `a${index}=""`).join(" ")}/>`;
    expect(catchError(() => parseClientXml(attributes, "Delete"))).toMatchObject({ code: "MalformedXML" });
  });

  it("still reads the largest documents S3 defines: 10,000 parts with two checksums each", () => {
    const part = (number: number) =>
      `<Part><PartNumber>${number}</PartNumber><ETag>"e${number}"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumSHA256>y</ChecksumSHA256></Part>`;
    const document = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${Array.from({ length: 10_000 }, (_, index) => part(index + 1)).join("")}</CompleteMultipartUpload>`;
    expect(parseClientXml(document, "CompleteMultipartUpload").children).toHaveLength(10_000);
  });
});

describe("clientXmlText", () => {
  it("reads a client's document as UTF-8 and refuses bytes that are none as MalformedXML", () => {
    expect(clientXmlText(new TextEncoder().encode("<Delete><Object><Key>ключ 😀</Key></Object></Delete>"))).toBe("<Delete><Object><Key>ключ 😀</Key></Object></Delete>");
    for (const bytes of [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xe9]]) {
      const body = new Uint8Array([...new TextEncoder().encode("<Delete><Object><Key>"), ...bytes, ...new TextEncoder().encode("</Key></Object></Delete>")]);
      expect(() => clientXmlText(body)).toThrow(expect.objectContaining({ code: "MalformedXML", status: 400 }));
    }
  });
});
