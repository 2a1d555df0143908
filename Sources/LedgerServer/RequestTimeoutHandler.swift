import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow to send a request, which the idle timeout alone
/// cannot catch (every byte counts as activity, so one byte a second keeps it alive):
/// - the headers of the next request must be complete within `headerTimeout` of the connection
///   opening or of the previous response ending;
/// - a request's body must be complete within `bodyTimeout` of its headers.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var headerDeadline: Scheduled<Void>?
    private var bodyDeadline: Scheduled<Void>?
    /// Requests whose head arrived and whose response has not ended.
    private var open = 0

    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { headerDeadline = closing(context, after: headerTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        headerDeadline = closing(context, after: headerTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            open += 1
            headerDeadline?.cancel()
            headerDeadline = nil
            bodyDeadline?.cancel()
            bodyDeadline = closing(context, after: bodyTimeout)
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            open = max(0, open - 1)
            if open == 0 {
                headerDeadline?.cancel()
                headerDeadline = closing(context, after: headerTimeout)
            }
        }
        context.write(data, promise: promise)
    }

    private func closing(_ context: ChannelHandlerContext, after timeout: TimeAmount) -> Scheduled<Void> {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        headerDeadline?.cancel()
        headerDeadline = nil
        bodyDeadline?.cancel()
        bodyDeadline = nil
    }
}
