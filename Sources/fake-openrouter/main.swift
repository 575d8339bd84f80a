// fake-openrouter: runs the fake OpenRouter server for the demo, shell scripts and benchmarks.
// Prints one line "listening on http://127.0.0.1:<port>/api/v1", serves until SIGTERM/SIGINT,
// then prints its stats as one JSON line and exits 0.
import FakeOpenRouter
import Foundation

let usage = """
    usage: fake-openrouter [--host 127.0.0.1] [--port 0] [--latency-ms N] [--image-bytes N]
                           [--images-per-response N] [--escape-slashes]
                           [--fault-rate R] [--faults KIND,...] [--fault-mix KIND=P,...]
                           [--fault-attempts K] [--seed S] [--retry-after SECONDS] [--stall-seconds SECONDS]
                           [--payment-required-after K] [--unauthorized-after K] [--key KEY]...
                           [--generation-delay SECONDS] [--in-flight-budget K] [--key-limit-after K]
                           [--rpm N] [--rate-window SECONDS] [--media-first-byte SECONDS]
                           [--speech-first-byte-per-char SECONDS] [--chat-keepalive SECONDS]
                           [--video-seconds SECONDS] [--video-fail-rate R] [--video-poll-fault-rate R]
                           [--video-drop-submit-rate R] [--video-cancel-rate R] [--video-expire-rate R]
                           [--video-bill-unfinished] [--video-poll-fault-status 500|502|503|401|404]
                           [--video-content-fault-rate R] [--video-content-faults 500,502,truncate]
                           [--video-polling-url relative|absolute|foreign] [--video-quicktime]
                           [--speech-amplitudes A,...]
    Only loopback hosts are accepted (127.0.0.0/8, ::1, localhost).
    Fault kinds: 429 (alias 429key), 500, 502, 503, 524, 529, reset, stall, truncate, malformed,
      error200, noimages, 402, 402inflight, 402afford, 429upstream, 429daily, error200bare429,
      error200bare502, error200beside, refuse-content-filter, refuse-image-prohibited-content,
      refuse-prohibited-content, refuse-image-safety, refuse-no-image, refuse-image-other.
    --faults with --fault-rate R: each of a request's first K attempts is faulted with
      probability R, by a kind picked uniformly. Without --faults, --fault-rate picks among
      429,500,502,503,524,529,reset,truncate,malformed,error200,noimages.
    --fault-mix 429upstream=0.06,500=0.03,...: per-kind probability per attempt (first K
      attempts only; sum at most 1); replaces --fault-rate/--faults. Seeded by --seed.
    --generation-delay: GET /generation answers 404 for this long after a generation ends.
    --in-flight-budget K: 402 in_flight_budget_exhausted (with Retry-After) while more than K
      generation requests are in flight. --key-limit-after K: 403 "Key limit exceeded (daily
      limit)" once K generations are billed. --rpm N: OpenRouter's own 429 with X-RateLimit-*
      beyond N generation requests per key per --rate-window (60) seconds.
    --media-first-byte: silence (no headers) before /images and /audio/speech answers;
      --speech-first-byte-per-char adds that per input character. --chat-keepalive S: chat
      answers send headers at once, then a newline every S seconds until the JSON.
    --video-seconds S: a video job ends S seconds (2) after its submit. --video-fail-rate R: a
      job fails with probability R. --video-poll-fault-rate R: a poll answers 500 with
      probability R. --video-drop-submit-rate R: a submit's 202 is lost (reset) after the job
      was created, with probability R. --video-cancel-rate R / --video-expire-rate R: a job
      ends cancelled / expired. --video-bill-unfinished: a job that ends failed, cancelled or
      expired is billed all the same. --video-poll-fault-status S: poll faults answer S (500).
      --video-content-fault-rate R: a download fails with one of --video-content-faults
      (500,502,truncate). --video-polling-url: how polling_url is written (relative).
      --video-quicktime: finished videos are video/quicktime (.mov) instead of MP4.
    --speech-amplitudes 0.02,0.2: speech is an audible tone (LAME mp3, or pcm) at one of these
      amplitudes, picked by the input's hash, instead of silence (#fake:amplitude=A wins).
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
        case "--fault-mix":
            plan.mix = [:]
            for entry in value(name, inline).split(separator: ",") where !entry.isEmpty {
                let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2, let kind = FaultKind(cliName: pair[0]) else { fail("--fault-mix: bad entry: \(entry)") }
                guard let probability = Double(pair[1]), (0...1).contains(probability) else {
                    fail("--fault-mix: \(pair[0]): not a probability: \(pair[1])")
                }
                plan.mix[kind, default: 0] += probability
            }
        case "--generation-delay": config.generationDelaySeconds = number(name, inline, as: Double.self)
        case "--in-flight-budget": plan.inFlightBudget = number(name, inline, as: Int.self)
        case "--key-limit-after": plan.keyLimitAfterGenerations = number(name, inline, as: Int.self)
        case "--rpm": plan.requestsPerMinute = number(name, inline, as: Int.self)
        case "--rate-window": plan.rateLimitWindowSeconds = number(name, inline, as: Double.self)
        case "--media-first-byte": config.mediaFirstByteSeconds = number(name, inline, as: Double.self)
        case "--speech-amplitudes":
            config.speechAmplitudes = value(name, inline).split(separator: ",").map { text -> Double in
                guard let amplitude = Double(text), amplitude > 0, amplitude <= 1 else { fail("--speech-amplitudes: not an amplitude in (0, 1]: \(text)") }
                return amplitude
            }
        case "--speech-first-byte-per-char":
            config.speechFirstByteSecondsPerCharacter = number(name, inline, as: Double.self)
        case "--chat-keepalive": config.chatKeepAliveSeconds = number(name, inline, as: Double.self)
        case "--video-seconds": config.videoJobSeconds = number(name, inline, as: Double.self)
        case "--video-fail-rate": config.videoFailureRate = number(name, inline, as: Double.self)
        case "--video-poll-fault-rate": config.videoPollFaultRate = number(name, inline, as: Double.self)
        case "--video-drop-submit-rate": config.videoDropSubmitRate = number(name, inline, as: Double.self)
        case "--video-cancel-rate": config.videoCancelRate = number(name, inline, as: Double.self)
        case "--video-expire-rate": config.videoExpireRate = number(name, inline, as: Double.self)
        case "--video-bill-unfinished": config.videoBillUnfinished = true
        case "--video-poll-fault-status":
            let status = number(name, inline, as: Int.self)
            guard [401, 404, 500, 502, 503].contains(status) else { fail("--video-poll-fault-status: one of 401, 404, 500, 502, 503") }
            config.videoPollFaultStatus = status
        case "--video-content-fault-rate": config.videoContentFaultRate = number(name, inline, as: Double.self)
        case "--video-content-faults":
            config.videoContentFaultKinds = value(name, inline).split(separator: ",").map { text -> FaultKind in
                guard let kind = FaultKind(cliName: String(text)), [.serverError, .badGateway, .truncatedBody].contains(kind) else {
                    fail("--video-content-faults: one of 500, 502, truncate: \(text)")
                }
                return kind
            }
        case "--video-polling-url":
            guard let form = VideoPollingURL(rawValue: value(name, inline)) else { fail("--video-polling-url: relative, absolute or foreign") }
            config.videoPollingURL = form
        case "--video-quicktime": config.videoQuickTime = true
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown argument: \(argument)")
        }
        index += 1
    }
    guard (0...1).contains(plan.rate) else { fail("--fault-rate must be between 0 and 1") }
    guard plan.mix.values.reduce(0, +) <= 1 + 1e-9 else { fail("--fault-mix: the probabilities sum to more than 1") }
    if !kindsGiven { plan.kinds = FaultKind.classicTransient }
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
