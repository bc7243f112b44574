import HTTPTypes
import Testing

@testable import TorusFuzzChecks
@testable import TorusHTTP

/// The server's own request parser (``HTTPRequestFramer``): what it takes and how it
/// reads it, every refusal with its status, pipelined requests in one read, and the same
/// outcome whatever way the bytes are split.
@Suite(.descriptorGate) struct HTTPRequestParserTests {
    /// Requests it takes, with what it reads of them.
    @Test func wellFormedRequests() throws {
        let get = try onlyRequest("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n")
        #expect(get.method == "GET" && get.target == "/a?b=c" && !get.isHTTP10)
        #expect(get.fields.map { String(decoding: $0, as: UTF8.self) } == ["Host: example.com", "Accept: */*"])
        let post = try onlyRequest("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
        #expect(post.body == Array("hello".utf8))
        let chunked = try onlyRequest(
            "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n"
        )
        #expect(chunked.body == Array("hello world".utf8))
        let absolute = try onlyRequest("GET http://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(absolute.target == "http://example.com/x")
        let old = try onlyRequest("GET / HTTP/1.0\r\n\r\n")
        #expect(old.isHTTP10)
        let spaces = try onlyRequest("GET / HTTP/1.1\r\nHost:   h \t\r\n\r\n")
        #expect(spaces.fields == [Array("Host: h".utf8)])
        let leadingBlankLines = try onlyRequest("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(leadingBlankLines.target == "/")
    }

    /// Keep-alive by version and Connection; Expect: 100-continue; Host kept.
    @Test func connectionAndExpectation() throws {
        #expect(try head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.0\r\n\r\n").keepAlive)
        #expect(try head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive)
        let expecting = try head("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
        #expect(expecting.expectsContinue && expecting.framing == .length(1))
    }

    /// Each refusal, with the error (and so the status) it gets.
    @Test(arguments: [
        ("GET / HTTP/1.1\nHost: h\r\n\r\n", HTTPRequestError.malformed(.lineEnding)),
        ("GET / HTTP/1.1\r\nHost: h\n\r\n", .malformed(.lineEnding)),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .malformed(.requestLine)),
        ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .malformed(.requestLine)),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", .malformed(.requestLine)),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/1.2\r\nHost: h\r\n\r\n", .unsupportedVersion),
        ("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", .unknownMethod),
        ("get / HTTP/1.1\r\nHost: h\r\n\r\n", .unknownMethod),
        ("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", .unknownMethod),
        ("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", .malformed(.requestTarget)),
        ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", .malformed(.requestTarget)),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", .malformed(.fieldName)),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", .malformed(.obsoleteLineFolding)),
        ("GET / HTTP/1.1\r\nHost: h\u{1}\r\n\r\n", .malformed(.fieldValue)),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .malformed(.host)),
        ("GET / HTTP/1.1\r\n\r\n", .malformed(.host)),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", .malformed(.contentLength)),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx", .malformed(.contentLength)),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", .malformed(.contentLength)),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9999999999999999999\r\n\r\n", .malformed(.contentLength)),
        (
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .malformed(.lengthAndChunked)
        ),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        (
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            .unsupportedTransferCoding
        ),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .malformed(.transferEncodingInHTTP10)),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", .malformed(.chunkSize)),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1 ;a\r\nx\r\n", .malformed(.chunkSize)),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n", .malformed(.chunkEnd)),
        (
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
            .malformed(.chunkSize)
        ),
        (
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
            .malformed(.trailer)
        ),
    ])
    func refusals(_ input: String, _ expected: HTTPRequestError) throws {
        let outcome = HTTPRequestDifferential.decode([Array(input.utf8)[...]])
        #expect(outcome.failed)
        #expect(outcome.ended.isEmpty)
        #expect(firstFailure(input) == expected)
    }

    /// The limits: a long target is 414, a large head or too many fields 431, each as
    /// soon as the bytes pass the limit (the rest of the head is not waited for).
    @Test func limits() {
        var limits = HTTPRequestHeadParser.Limits()
        limits.maxHeadSize = 1024
        limits.maxTargetLength = 100
        limits.maxFieldCount = 3
        let longTarget = "GET /" + String(repeating: "a", count: 200)
        #expect(firstFailure(longTarget, limits) == .targetTooLong)
        #expect(firstFailure(longTarget + " HTTP/1.1\r\n", limits) == .targetTooLong)
        let bigField = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 1100)
        #expect(firstFailure(bigField, limits) == .headTooLarge)
        let manyFields = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(firstFailure(manyFields, limits) == .headTooLarge)
        #expect(HTTPRequestError.targetTooLong.status == .uriTooLong)
        #expect(HTTPRequestError.headTooLarge.status == .requestHeaderFieldsTooLarge)
        #expect(HTTPRequestError.unknownMethod.status == .notImplemented)
        #expect(HTTPRequestError.unsupportedVersion.status == .httpVersionNotSupported)
        #expect(HTTPRequestError.malformed(.host).status == .badRequest)
    }

    /// 100 pipelined requests in one read come out in order, and every split of a
    /// request into two reads gives the same as one read.
    @Test func pipelinedAndSplitRequests() throws {
        let one = "POST /n HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        let many = (0..<100).map { "GET /\($0) HTTP/1.1\r\nHost: h\r\n\r\n" }.joined() + one
        let outcome = HTTPRequestDifferential.decode([Array(many.utf8)[...]])
        #expect(!outcome.failed)
        #expect(outcome.ended.map(\.target) == (0..<100).map { "/\($0)" } + ["/n"])
        let chunked = Array(
            "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n".utf8)
        let whole = HTTPRequestDifferential.decode([chunked[...]])
        for split in 0...chunked.count {
            #expect(
                HTTPRequestDifferential.decode([chunked[..<split], chunked[split...]]) == whole, "split at \(split)")
        }
    }

    /// The differential check holds on the committed fuzz inputs' kind of request.
    @Test func agreesWithNIOOnWellFormedRequests() throws {
        for input in [
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
            "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ] {
            try HTTPRequestDifferential.check(Array(input.utf8))
            #expect(HTTPRequestDifferential.decode([Array(input.utf8)[...]]).ended.count == 1)
        }
    }
}

/// The one request `input` holds, read to its end.
private func onlyRequest(_ input: String) throws -> HTTPRequestDifferential.Request {
    let outcome = HTTPRequestDifferential.decode([Array(input.utf8)[...]])
    #expect(!outcome.failed)
    return try #require(outcome.ended.first)
}

/// The head at the start of `input`.
private func head(_ input: String) throws -> HTTPRequestHeadParser.Head {
    var parser = HTTPRequestHeadParser()
    let outcome = Array(input.utf8).withUnsafeBytes { parser.parse($0) }
    guard case .complete(let head) = outcome else { throw ParseFailure(outcome: outcome) }
    return head
}

private struct ParseFailure: Error {
    var outcome: HTTPRequestHeadParser.Outcome
}

/// The error the framer fails `input` with, if it does.
private func firstFailure(
    _ input: String, _ limits: HTTPRequestHeadParser.Limits = .init()
) -> HTTPRequestError? {
    var framer = HTTPRequestFramer(limits: limits)
    var bytes = Array(input.utf8)[...]
    while true {
        let (event, consumed) = bytes.withUnsafeBytes { framer.decode($0) { _ in } }
        bytes = bytes.dropFirst(consumed)
        switch event {
        case .failed(let error): return error
        case .needMore: return nil
        case .head, .end: continue
        }
    }
}
