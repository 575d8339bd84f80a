// fake-openrouter: runs the fake OpenRouter server for the demo, shell scripts and benchmarks.
// Prints one line "listening on http://127.0.0.1:<port>/api/v1", serves until SIGTERM/SIGINT,
// then prints its stats as one JSON line and exits 0.
import FakeOpenRouter
import Foundation

let usage = """
    usage: fake-openrouter [--host 127.0.0.1] [--port 0] [--latency-ms N] [--image-bytes N]
                           [--images-per-response N] [--escape-slashes]
                           [--fault-rate R] [--faults 429,500,502,503,524,529,reset,stall,truncate,malformed,error200,noimages]
                           [--fault-attempts K] [--seed S] [--retry-after SECONDS] [--stall-seconds SECONDS]
                           [--payment-required-after K] [--unauthorized-after K] [--key KEY]...
    Only loopback hosts are accepted (127.0.0.0/8, ::1, localhost).
    Without --faults, --fault-rate picks among every kind except stall.
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fake-openrouter: \(message)\n\(usage)\n".utf8))
    exit(2)
}

func parseArguments(_ arguments: [String]) -> FakeConfiguration {
    var config = FakeConfiguration()
    var plan = FaultPlan()
    var kindsGiven = false
    var keys: Set<String> = []
    var index = 0
    func value(_ name: String, _ inline: String?) -> String {
        if let inline { return inline }
        index += 1
        guard index < arguments.count else { fail("\(name) needs a value") }
        return arguments[index]
    }
    func number<T: LosslessStringConvertible>(_ name: String, _ inline: String?, as _: T.Type) -> T {
        let text = value(name, inline)
        guard let parsed = T(text) else { fail("\(name): not a number: \(text)") }
        return parsed
    }
    while index < arguments.count {
        let argument = arguments[index]
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts[0]
        let inline = parts.count > 1 ? parts[1] : nil
        switch name {
        case "--host": config.host = value(name, inline)
        case "--port": config.port = number(name, inline, as: Int.self)
        case "--latency-ms": config.latency = number(name, inline, as: Double.self) / 1000
        case "--image-bytes": config.imageBytes = number(name, inline, as: Int.self)
        case "--images-per-response": config.imagesPerResponse = number(name, inline, as: Int.self)
        case "--escape-slashes": config.escapeSlashes = true
        case "--no-escape-slashes": config.escapeSlashes = false
        case "--fault-rate": plan.rate = number(name, inline, as: Double.self)
        case "--faults":
            kindsGiven = true
            plan.kinds = value(name, inline).split(separator: ",").filter { !$0.isEmpty }.map { name in
                guard let kind = FaultKind(cliName: String(name)) else { fail("unknown fault kind: \(name)") }
                return kind
            }
        case "--fault-attempts": plan.maxFaultedAttempts = number(name, inline, as: Int.self)
        case "--seed": plan.seed = number(name, inline, as: UInt64.self)
        case "--retry-after": plan.retryAfterSeconds = number(name, inline, as: Double.self)
        case "--stall-seconds": plan.stallSeconds = number(name, inline, as: Double.self)
        case "--payment-required-after": plan.paymentRequiredAfter = number(name, inline, as: Int.self)
        case "--unauthorized-after": plan.unauthorizedAfter = number(name, inline, as: Int.self)
        case "--key": keys.insert(value(name, inline))
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown argument: \(argument)")
        }
        index += 1
    }
    guard (0...1).contains(plan.rate) else { fail("--fault-rate must be between 0 and 1") }
    if !kindsGiven { plan.kinds = FaultKind.allCases.filter { $0 != .stall } }
    if !keys.isEmpty { config.acceptedKeys = keys }
    config.faults = plan
    return config
}

func run() -> Never {
    let config = parseArguments(Array(CommandLine.arguments.dropFirst()))
    let server = FakeOpenRouterServer(configuration: config)
    do {
        try server.start()
    } catch {
        FileHandle.standardError.write(Data("fake-openrouter: \(error)\n".utf8))
        exit(1)
    }
    print("listening on \(server.baseURL)")
    fflush(nil)

    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let queue = DispatchQueue(label: "fake-openrouter.signals")
    var sources: [DispatchSourceSignal] = []
    for signalNumber in [SIGINT, SIGTERM] {
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler { [server] in
            server.stop()
            print(server.stats().jsonString())
            fflush(nil)
            exit(0)
        }
        source.resume()
        sources.append(source)
    }
    withExtendedLifetime(sources) { dispatchMain() }
}

run()
