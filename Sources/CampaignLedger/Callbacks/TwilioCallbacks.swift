/// Twilio Messaging StatusCallback: a form (`MessageSid`, `MessageStatus`, `ErrorCode`,
/// `RawDlrDoneDate`, …); correlation from the StatusCallback URL's query parameters
/// `campaign`, `contact`, `attempt`.
enum TwilioCallbacks {
    /// The form's parameters, or `.malformed` when the body is not a form.
    static func form(_ request: CallbackRequest) throws(CallbackError) -> [(name: String, value: String)] {
        if let type = request.contentType?.lowercased(), !type.hasPrefix("application/x-www-form-urlencoded") {
            throw .malformed("twilio callback with Content-Type \(type): Twilio posts application/x-www-form-urlencoded; post its form unchanged")
        }
        guard let text = String(validating: request.body, as: UTF8.self), let pairs = FormBody.pairs(text) else {
            throw .malformed("twilio callback body is not a form (name=value&…): post Twilio's StatusCallback form unchanged")
        }
        return pairs
    }

    static func statuses(_ request: CallbackRequest, bodySHA256: String) throws(CallbackError) -> [ProviderStatus] {
        let pairs = try form(request)
        func field(_ name: String) -> String? { pairs.first { $0.name == name }?.value }
        let sid = field("MessageSid") ?? field("SmsSid")
        let status = field("MessageStatus") ?? field("SmsStatus")
        guard sid != nil || status != nil else {
            throw .malformed("twilio callback without MessageSid or MessageStatus: is this a StatusCallback of the Messaging API?")
        }
        let query = request.queryItems
        func param(_ name: String) -> String? { query.first { $0.name == name }?.value }
        let code = field("ErrorCode").flatMap { $0.isEmpty ? nil : $0 }
        let done = field("RawDlrDoneDate")
        return [
            ProviderCallbacks.status(
                .twilio, messageID: sid,
                correlation: CallbackFields.correlation(campaign: param("campaign"), contact: param("contact"), attempt: param("attempt")),
                value: status, code: code, providerStatus: nil, reason: field("ChannelStatusMessage"),
                at: CallbackFields.fromTwilioDoneDate(done), dedupe: [sid, status, code, done], bodySHA256: bodySHA256)
        ]
    }
}
