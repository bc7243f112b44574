import CLiburing
import Testing

@testable import Torus

/// Each operation declares its io_uring opcode, and the probe requires exactly those: an
/// operation that prepared a different SQE than it declares would make the probe check
/// the wrong opcode, and a kernel without it would fail at the first submission instead
/// of falling back to epoll.
@Suite(.descriptorGate) struct OperationOpcodeTests {
    /// One value of every operation type (what they point at is never read: only
    /// `prepare` runs, into a scratch SQE).
    private static func everyOperation(
        pool: ReceiveBufferPool, buffer: UnsafeMutableRawBufferPointer, stat: UnsafeMutablePointer<statx>,
        path: UnsafePointer<CChar>
    ) -> [any IOOperation] {
        [
            Nop(), MultishotAccept(fd: 3), Connect(fd: 3, address: SocketAddress(ip: "127.0.0.1", port: 1)!),
            Receive(fd: 3, buffer: buffer), PooledReceive(fd: 3, pool: pool), Send(fd: 3, bytes: .init(buffer)),
            Close(fd: 3), CancelDescriptor(fd: 3), OpenAt(path: path, flags: 0, mode: 0),
            ReadAt(fd: 3, buffer: buffer, offset: 0), WriteAt(fd: 3, buffer: buffer, offset: 0), Fsync(fd: 3),
            Statx(fd: 3, buffer: stat), PollableRead(fd: 3, buffer: buffer),
        ]
    }

    @Test func everyOperationPreparesTheOpcodeItDeclares() throws {
        let pool = try ReceiveBufferPool(bufferSize: 64, count: 2, reactor: nil)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16)
        let stat = UnsafeMutablePointer<statx>.allocate(capacity: 1)
        defer {
            buffer.deallocate()
            stat.deallocate()
        }
        let slot = UnsafeMutablePointer<OperationSlot>.allocate(capacity: 1)
        slot.initialize(to: OperationSlot())
        defer { slot.deinitialize(count: 1).deallocate() }
        "/".withCString { path in
            let operations = Self.everyOperation(pool: pool, buffer: buffer, stat: stat, path: path)
            #expect(operations.count == allOperationTypes.count, "every type in allOperationTypes is checked here")
            for operation in operations {
                var sqe = io_uring_sqe()
                operation.prepare(&sqe, slot: slot)
                #expect(UInt32(sqe.opcode) == type(of: operation).opcode.rawValue, "\(type(of: operation))")
            }
        }
    }

    @Test func theProbeRequiresEveryDeclaredOpcodeAndTheLinkedTimeout() {
        let required = Set(IOUringProbe.requiredOpcodes.map(\.rawValue))
        let declared = Set(allOperationTypes.map { $0.opcode.rawValue })
        #expect(required == declared.union([IORING_OP_LINK_TIMEOUT.rawValue]))
        #expect(!required.contains(IORING_OP_TIMEOUT.rawValue), "nothing submits a plain timeout")
    }
}
