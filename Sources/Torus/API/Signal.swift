import Glibc

/// A POSIX signal number, as ``Signals`` watches and delivers it.
///
/// The common ones have names (``terminate`` is SIGTERM, ``interrupt`` SIGINT, ...);
/// any other number is `Signal(rawValue:)`. ``Signals`` checks which ones can be watched.
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The signal's number (`SIGTERM`, ...).
    public let rawValue: Int32

    /// The signal numbered `rawValue`; not checked here (``Signals`` checks it).
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// SIGHUP: the terminal closed, or (by convention) "reload your configuration".
    public static let hangup = Signal(rawValue: SIGHUP)
    /// SIGINT: Ctrl-C.
    public static let interrupt = Signal(rawValue: SIGINT)
    /// SIGQUIT: Ctrl-\.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// SIGTERM: a process manager asks the process to stop.
    public static let terminate = Signal(rawValue: SIGTERM)
    /// SIGUSR1: the program's own meaning.
    public static let user1 = Signal(rawValue: SIGUSR1)
    /// SIGUSR2: the program's own meaning.
    public static let user2 = Signal(rawValue: SIGUSR2)
    /// SIGALRM: a timer set with `alarm` or `setitimer` expired.
    public static let alarm = Signal(rawValue: SIGALRM)
    /// SIGCHLD: a child process stopped or exited.
    public static let child = Signal(rawValue: SIGCHLD)
    /// SIGWINCH: the terminal's size changed.
    public static let windowChanged = Signal(rawValue: SIGWINCH)

    /// The signal's name, `SIGTERM`, or `signal 40` for one without a short name here.
    public var description: String {
        switch rawValue {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGTERM: "SIGTERM"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        case SIGALRM: "SIGALRM"
        case SIGCHLD: "SIGCHLD"
        case SIGWINCH: "SIGWINCH"
        case SIGPIPE: "SIGPIPE"
        case SIGKILL: "SIGKILL"
        case SIGSTOP: "SIGSTOP"
        default: "signal \(rawValue)"
        }
    }

    /// Why ``Signals`` cannot watch this signal, or nil when it can: SIGKILL and SIGSTOP
    /// cannot be caught or blocked; faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
    /// SIGSYS) belong to the thread that caused them; glibc keeps signals 32 and 33 for
    /// its threads; numbers outside 1...64 do not exist.
    var unwatchableReason: String? {
        switch rawValue {
        case SIGKILL, SIGSTOP: "\(self) cannot be caught"
        case SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS:
            "\(self) is a fault of the thread that caused it, not a signal to watch"
        case 32, 33: "\(self) is reserved by the C library's threads"
        case 1..<65: nil
        default: "\(rawValue) is not a signal number (1...64)"
        }
    }
}

extension Signal {
    /// The signals a process is sent from outside, blocked on every loop thread from its
    /// start (``EventLoop``): SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2.
    static let blockedOnLoopThreads: [Signal] = [.interrupt, .terminate, .hangup, .quit, .user1, .user2]
}

extension Sequence<Signal> {
    /// The signals as a `sigset_t`, for `pthread_sigmask`, `signalfd` and `sigaction`.
    var mask: sigset_t {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in self { sigaddset(&mask, signal.rawValue) }
        return mask
    }
}
