import Tasks

/// What an image answer without an image means. A deterministic refusal
/// (`finish_reason: content_filter`, native `IMAGE_PROHIBITED_CONTENT`,
/// `PROHIBITED_CONTENT`) is final; a soft one (`IMAGE_SAFETY`, `NO_IMAGE`, `IMAGE_OTHER`)
/// sometimes succeeds once more; anything else (a cold start, text instead of an image) is
/// worth a few tries. The prompt is billed either way: `billed` is the answer's `usage.cost`.
package enum Refusals {
    package static let final: Set<String> = ["content_filter", "IMAGE_PROHIBITED_CONTENT", "PROHIBITED_CONTENT"]
    package static let soft: Set<String> = ["IMAGE_SAFETY", "NO_IMAGE", "IMAGE_OTHER"]

    package static func failure(finishReasons: [String], nativeReasons: [String], details: [String: String], billed: Double?) -> TaskFailure {
        let reasons = finishReasons + nativeReasons
        var failure: TaskFailure
        if let reason = reasons.first(where: final.contains) {
            failure = TaskFailure(.refused, cause: .response, status: 200, message: "the model refused the prompt (\(reason))", details: details)
            failure.refusal = reason
        } else {
            failure = TaskFailure(.noImages, cause: .response, status: 200, message: "the response held no image", details: details)
            failure.refusal = reasons.first(where: soft.contains)
        }
        failure.billedCost = billed
        return failure
    }
}
