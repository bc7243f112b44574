import HTTPTypes
import NIOHTTP1

// Conversions between swift-http-types (the public API) and NIOHTTP1 (the codec).

extension HTTPFields {
    /// NIO's headers; fields whose name is not a valid token are dropped.
    init(_ headers: HTTPHeaders) {
        self.init()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { append(HTTPField(name: name, value: value)) }
        }
    }
}

extension HTTPHeaders {
    /// The same fields, for NIO's encoder.
    init(_ fields: HTTPFields) {
        self.init(fields.map { ($0.name.rawName, $0.value) })
    }
}

extension HTTPResponse {
    /// A response head as NIO decoded it.
    init(_ head: HTTPResponseHead) {
        self.init(
            status: HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase),
            headerFields: HTTPFields(head.headers))
    }
}
