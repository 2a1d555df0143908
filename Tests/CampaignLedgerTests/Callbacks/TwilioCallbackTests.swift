import CampaignLedger
import Foundation
import Testing

/// A Twilio WhatsApp StatusCallback form as Twilio posts it.
func twilioForm(status: String, sid: String = "SM5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", errorCode: String? = nil, doneDate: String? = nil) -> [(String, String)] {
    var f: [(String, String)] = [
        ("AccountSid", "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0"), ("ApiVersion", "2010-04-01"),
        ("ChannelInstallSid", "XE9a8b7c6d5e4f30211203f4e5d6c7b8a9"), ("ChannelPrefix", "whatsapp"),
    ]
    if let errorCode { f += [("ChannelStatusMessage", "Message undeliverable"), ("ErrorCode", errorCode)] }
    f += [("From", "whatsapp:+420800123456"), ("To", "whatsapp:+420601234567"), ("MessageSid", sid), ("SmsSid", sid),
          ("MessageStatus", status), ("SmsStatus", status)]
    if let doneDate { f.append(("RawDlrDoneDate", doneDate)) }
    return f
}

@Suite struct TwilioCallbackTests {
    @Test(arguments: [
        ("queued", "queued"), ("accepted", "queued"), ("scheduled", "queued"), ("sending", "in_progress"), ("sent", "sent"),
        ("delivered", "delivered"), ("read", "read"), ("failed", "sending_failed"), ("undelivered", "delivery_failed"),
    ])
    func everyStatusOfTheTable(status: String, expected: String) throws {
        let request = Signed.twilio(twilioForm(status: status), query: "?campaign=c1&contact=k1&attempt=2")
        let s = try #require(outcome(.twilio, request).value?.first)
        #expect(s.status?.rawValue == expected)
        #expect(s.providerStatus == status)
        #expect(s.messageID == "SM5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f")
        #expect(s.correlation == Correlation(campaign: "c1", contact: "k1", attempt: 2))
        #expect(s.at == nil)
        #expect(s.problem == nil)
        #expect(s.eventID == expectedEventID("twilio", ["SM5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", status, "", ""]))
    }

    @Test func anSMSUndeliveredCarriesItsCodeAndDoneDate() throws {
        let request = Signed.twilio(twilioForm(status: "undelivered", errorCode: "30003", doneDate: "2601050931"))
        let s = try #require(outcome(.twilio, request).value?.first)
        #expect(s.status == .deliveryFailed)
        #expect(s.code == "30003")
        #expect(s.reason == "Message undeliverable")
        #expect(s.at == "2026-01-05T09:31:00Z")
        #expect(s.correlation == nil)
        #expect(s.eventID == expectedEventID("twilio", ["SM5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "undelivered", "30003", "2601050931"]))
    }

    @Test func anImpossibleDoneDateLeavesAtNil() throws {
        let s = try #require(outcome(.twilio, Signed.twilio(twilioForm(status: "delivered", doneDate: "2602301200"))).value?.first)
        #expect(s.at == nil)
    }

    @Test func receivedAtFillsOnlyAMissingTime() throws {
        let request = Signed.twilio(twilioForm(status: "delivered"))
        let received = Date(timeIntervalSince1970: 1_767_605_402.25)
        let s = try ProviderCallbacks.statuses(provider: .twilio, request: request, settings: Secrets.all, receivedAt: received)
        #expect(s.first?.at == "2026-01-05T09:30:02.250Z")
        let dated = Signed.twilio(twilioForm(status: "delivered", doneDate: "2601050931"))
        let d = try ProviderCallbacks.statuses(provider: .twilio, request: dated, settings: Secrets.all, receivedAt: received)
        #expect(d.first?.at == "2026-01-05T09:31:00Z")
    }

    @Test func percentEncodedCorrelationParametersAreDecoded() throws {
        let request = Signed.twilio(twilioForm(status: "sent"), query: "?campaign=spring%20sale&contact=k%2F1")
        let s = try #require(outcome(.twilio, request).value?.first)
        #expect(s.correlation == Correlation(campaign: "spring sale", contact: "k/1", attempt: nil))
        let bad = Signed.twilio(twilioForm(status: "sent"), query: "?campaign=c1&contact=k1&attempt=zero")
        #expect(outcome(.twilio, bad).value?.first?.correlation == nil)
    }

    /// Correlation parameters the ledger would refuse as ids (a C1 control character, U+008C) are
    /// ignored like any other malformed correlation: the status is tied by its message id (found
    /// by fuzzing: the adapter passed the campaign on and the ledger refused its event).
    @Test func correlationWithAControlCharacterIsIgnored() throws {
        let request = Signed.twilio(twilioForm(status: "delivered"), query: "?campaign=sp%C2%8Cring&contact=c1&attempt=1")
        let s = try #require(outcome(.twilio, request).value?.first)
        #expect(s.correlation == nil)
        #expect(s.problem == nil)
        #expect(s.recordableRef == "SM5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f")
        let plain = Signed.twilio(twilioForm(status: "delivered"), query: "?campaign=sp%C3%A9ring&contact=c1&attempt=1")
        #expect(outcome(.twilio, plain).value?.first?.correlation == Correlation(campaign: "spéring", contact: "c1", attempt: 1))
    }

    /// An unknown status with a line break is shown as a JSON string in the problem (one line).
    @Test func anUnknownStatusIsShownOnOneLine() throws {
        let s = try #require(outcome(.twilio, Signed.twilio(twilioForm(status: "can\nceled"))).value?.first)
        #expect(s.problem?.hasPrefix(#"unknown twilio status "can\u000aceled": parked;"#) == true, "\(s.problem ?? "")")
    }

    /// Twilio's own example (twilio-python's request validator test): auth token `12345`, this
    /// URL and these parameters sign as `RSOYDt4T1cUTdK1PDd93/VVr8B8=`. The form is no status
    /// callback, so a request that passes the check is then refused as malformed, not as
    /// unauthenticated.
    @Test func twiliosDocumentedSignatureIsAccepted() {
        let settings = CallbackSettings(twilio: .init(authToken: "12345"))
        let body = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
        func request(_ signature: String) -> CallbackRequest {
            CallbackRequest(
                headers: [("X-Twilio-Signature", signature), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array(body.utf8), url: "https://mycompany.com/myapp.php?foo=1&bar=2")
        }
        #expect(outcome(.twilio, request("RSOYDt4T1cUTdK1PDd93/VVr8B8="), settings: settings).error?.isMalformed == true)
        #expect(outcome(.twilio, request("RSOYDt4T1cUTdK1PDd93/VVr8B8A"), settings: settings).error?.isUnauthenticated == true)
    }

    @Test func withoutPublicBaseURLTheHostHeaderMakesTheURL() throws {
        var request = Signed.twilio(twilioForm(status: "sent"), query: "?campaign=c1&contact=k1", base: "http://127.0.0.1:8480")
        let settings = CallbackSettings(twilio: .init(authToken: Secrets.twilio))
        #expect(outcome(.twilio, request, settings: settings).error?.isUnauthenticated == true)
        request.headers.append(("Host", "127.0.0.1:8480"))
        #expect(outcome(.twilio, request, settings: settings).value?.first?.status == .sent)
        // Configured with a public base URL, the proxy's URL is what counts.
        #expect(outcome(.twilio, request).error?.isUnauthenticated == true)
    }

    @Test func aWrongOrMissingSignatureIsUnauthenticated() {
        #expect(outcome(.twilio, Signed.twilio(twilioForm(status: "sent"), secret: "other")).error?.isUnauthenticated == true)
        var changed = Signed.twilio(twilioForm(status: "sent"), query: "?campaign=c1&contact=k1")
        changed.url = "/v1/callbacks/twilio?campaign=c1&contact=k2"
        #expect(outcome(.twilio, changed).error?.isUnauthenticated == true)
        var unsigned = Signed.twilio(twilioForm(status: "sent"))
        unsigned.headers.removeAll { $0.name == "X-Twilio-Signature" }
        #expect(outcome(.twilio, unsigned).error?.isUnauthenticated == true)
    }

    @Test func aBodyThatIsNoStatusCallbackIsMalformed() {
        #expect(outcome(.twilio, Signed.twilio([("Body", "hello")])).error?.isMalformed == true)
        var json = Signed.twilio(twilioForm(status: "sent"))
        json.contentType = "application/json"
        #expect(outcome(.twilio, json).error?.isMalformed == true)
        var broken = Signed.twilio(twilioForm(status: "sent"))
        broken.body = Array("MessageStatus=%zz".utf8)
        #expect(outcome(.twilio, broken).error?.isMalformed == true)
    }

    @Test func anUnknownStatusIsAProblem() throws {
        let s = try #require(outcome(.twilio, Signed.twilio(twilioForm(status: "canceled"))).value?.first)
        #expect(s.status == nil)
        #expect(s.problem?.contains("unknown twilio status 'canceled'") == true)
    }
}
