//! `wasi:http/types`: requests, responses, bodies and their futures as host objects, and the
//! interface's functions over them.

use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Result, bail};
use http::HeaderMap;
use http::uri::{Authority, PathAndQuery};
use tether_wasi::host_io::{HostReady, Signal};
use tether_wasi::{InputStream, IoError, OutputStream, Pollable};
use tokio::sync::oneshot;

use crate::bindings::wasi::http::types::{self, ErrorCode, HeaderError, Method, Scheme};
use crate::fields::Fields;
use crate::pipe::{End, Pipe, PipeBody, PipeReader, PipeReady, PipeWriter, Wait};
use crate::{WasiHttpView, method_to_http};

/// `incoming-request`: a request the host received, for a guest's `incoming-handler`.
pub struct IncomingRequest {
    pub(crate) method: Method,
    pub(crate) path_with_query: Option<String>,
    pub(crate) scheme: Option<Scheme>,
    pub(crate) authority: Option<String>,
    pub(crate) headers: HeaderMap,
    /// Until `consume` takes it.
    pub(crate) body: Option<Arc<Pipe>>,
}

/// `outgoing-request`: a request a guest builds, to send with `outgoing-handler.handle`.
pub struct OutgoingRequest {
    pub(crate) method: Method,
    pub(crate) path_with_query: Option<String>,
    pub(crate) scheme: Option<Scheme>,
    pub(crate) authority: Option<String>,
    pub(crate) headers: HeaderMap,
    /// The body, once `body` was called.
    pub(crate) body: Option<Arc<Pipe>>,
}

/// `request-options`: the timeouts of one outgoing request.
#[derive(Default)]
pub struct RequestOptions {
    pub(crate) connect: Option<Duration>,
    pub(crate) first_byte: Option<Duration>,
    pub(crate) between_bytes: Option<Duration>,
}

/// What a served request's handler answers: a response whose body a guest may still be
/// writing, or an error.
pub type Answer = Result<http::Response<PipeBody>, ErrorCode>;

/// `response-outparam`: where a guest's `incoming-handler` puts its response.
pub struct ResponseOutparam {
    pub(crate) tx: Option<oneshot::Sender<Answer>>,
}

impl ResponseOutparam {
    /// An outparam, and the receiver its answer arrives on.
    pub fn new() -> (ResponseOutparam, oneshot::Receiver<Answer>) {
        let (tx, rx) = oneshot::channel();
        (ResponseOutparam { tx: Some(tx) }, rx)
    }
}

/// `incoming-response`: the response to a guest's outgoing request.
pub struct IncomingResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Arc<Pipe>>,
}

/// `incoming-body`: a body from the network, read through its one `input-stream`.
pub struct IncomingBody {
    pub(crate) pipe: Arc<Pipe>,
    pub(crate) stream_taken: bool,
    pub(crate) finished: bool,
}

impl IncomingBody {
    pub(crate) fn new(pipe: Arc<Pipe>) -> IncomingBody {
        IncomingBody {
            pipe,
            stream_taken: false,
            finished: false,
        }
    }
}

impl Drop for IncomingBody {
    fn drop(&mut self) {
        if !self.finished {
            self.pipe.close_reader();
        }
    }
}

/// `future-trailers`: the end of an incoming body.
pub struct FutureTrailers {
    pipe: Arc<Pipe>,
    taken: bool,
}

impl Drop for FutureTrailers {
    fn drop(&mut self) {
        self.pipe.close_reader();
    }
}

/// `outgoing-response`: the response a guest's handler builds.
pub struct OutgoingResponse {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Arc<Pipe>>,
}

/// The `content-length` a body's headers declare, if they declare one that is a number.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `outgoing-body`: a body a guest writes through its one `output-stream`, then finishes.
/// Dropped unfinished, the body is cut short: its receiver sees an error, not an end.
pub struct OutgoingBody {
    pub(crate) pipe: Arc<Pipe>,
    pub(crate) stream_taken: bool,
    pub(crate) finished: bool,
}

impl Drop for OutgoingBody {
    fn drop(&mut self) {
        if !self.finished {
            self.pipe.fail(crate::pipe::dropped_unfinished());
        }
    }
}

/// The slot an outgoing request's response (or error) arrives in.
pub struct ResponseSlot {
    state: Mutex<SlotState>,
    signal: Arc<Signal>,
}

enum SlotState {
    Waiting,
    Ready(Result<IncomingResponse, ErrorCode>),
    Taken,
}

impl ResponseSlot {
    pub(crate) fn new(signal: Arc<Signal>) -> Arc<ResponseSlot> {
        Arc::new(ResponseSlot {
            state: Mutex::new(SlotState::Waiting),
            signal,
        })
    }

    pub(crate) fn set(&self, r: Result<IncomingResponse, ErrorCode>) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = SlotState::Ready(r);
        self.signal.notify();
    }
}

impl HostReady for ResponseSlot {
    fn is_ready(&self) -> bool {
        !matches!(
            *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            SlotState::Waiting
        )
    }

    fn signal(&self) -> &Arc<Signal> {
        &self.signal
    }
}

/// `future-incoming-response`.
pub struct FutureIncomingResponse {
    pub(crate) slot: Arc<ResponseSlot>,
}

fn valid_scheme(s: &Scheme) -> bool {
    match s {
        Scheme::Other(s) => {
            s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        }
        _ => true,
    }
}

fn to_duration(nanos: Option<u64>) -> Option<Duration> {
    nanos.map(Duration::from_nanos)
}

fn from_duration(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_nanos().min(u128::from(u64::MAX)) as u64)
}

impl<T: WasiHttpView> types::Host for T {
    fn fields_new(&mut self) -> Result<Fields> {
        Ok(Fields::new())
    }

    fn fields_from_list(
        &mut self,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<Result<Fields, HeaderError>> {
        Ok(Fields::from_list(entries))
    }

    fn fields_get(&mut self, this: &mut Fields, name: String) -> Result<Vec<Vec<u8>>> {
        Ok(this.get(&name))
    }

    fn fields_has(&mut self, this: &mut Fields, name: String) -> Result<bool> {
        Ok(this.has(&name))
    }

    fn fields_set(
        &mut self,
        this: &mut Fields,
        name: String,
        value: Vec<Vec<u8>>,
    ) -> Result<Result<(), HeaderError>> {
        Ok(this.set(&name, &value))
    }

    fn fields_delete(
        &mut self,
        this: &mut Fields,
        name: String,
    ) -> Result<Result<(), HeaderError>> {
        Ok(this.delete(&name))
    }

    fn fields_append(
        &mut self,
        this: &mut Fields,
        name: String,
        value: Vec<u8>,
    ) -> Result<Result<(), HeaderError>> {
        Ok(this.append(&name, &value))
    }

    fn fields_entries(&mut self, this: &mut Fields) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(this.entries())
    }

    fn fields_clone(&mut self, this: &mut Fields) -> Result<Fields> {
        Ok(this.to_mutable())
    }

    fn incoming_request_method(&mut self, this: &mut IncomingRequest) -> Result<Method> {
        Ok(this.method.clone())
    }

    fn incoming_request_path_with_query(
        &mut self,
        this: &mut IncomingRequest,
    ) -> Result<Option<String>> {
        Ok(this.path_with_query.clone())
    }

    fn incoming_request_scheme(&mut self, this: &mut IncomingRequest) -> Result<Option<Scheme>> {
        Ok(this.scheme.clone())
    }

    fn incoming_request_authority(&mut self, this: &mut IncomingRequest) -> Result<Option<String>> {
        Ok(this.authority.clone())
    }

    fn incoming_request_headers(&mut self, this: &mut IncomingRequest) -> Result<Fields> {
        Ok(Fields::immutable(this.headers.clone()))
    }

    fn incoming_request_consume(
        &mut self,
        this: &mut IncomingRequest,
    ) -> Result<Result<IncomingBody, ()>> {
        Ok(this.body.take().map(IncomingBody::new).ok_or(()))
    }

    fn outgoing_request_new(&mut self, headers: Fields) -> Result<OutgoingRequest> {
        Ok(OutgoingRequest {
            method: Method::Get,
            path_with_query: None,
            scheme: None,
            authority: None,
            headers: headers.into_map(),
            body: None,
        })
    }

    fn outgoing_request_body(
        &mut self,
        this: &mut OutgoingRequest,
    ) -> Result<Result<OutgoingBody, ()>> {
        if this.body.is_some() {
            return Ok(Err(()));
        }
        let pipe = Pipe::with_length(
            self.http().signal.clone(),
            content_length(&this.headers),
            true,
        );
        this.body = Some(pipe.clone());
        Ok(Ok(OutgoingBody {
            pipe,
            stream_taken: false,
            finished: false,
        }))
    }

    fn outgoing_request_method(&mut self, this: &mut OutgoingRequest) -> Result<Method> {
        Ok(this.method.clone())
    }

    fn outgoing_request_set_method(
        &mut self,
        this: &mut OutgoingRequest,
        method: Method,
    ) -> Result<Result<(), ()>> {
        if method_to_http(&method).is_err() {
            return Ok(Err(()));
        }
        this.method = method;
        Ok(Ok(()))
    }

    fn outgoing_request_path_with_query(
        &mut self,
        this: &mut OutgoingRequest,
    ) -> Result<Option<String>> {
        Ok(this.path_with_query.clone())
    }

    fn outgoing_request_set_path_with_query(
        &mut self,
        this: &mut OutgoingRequest,
        path_with_query: Option<String>,
    ) -> Result<Result<(), ()>> {
        if let Some(p) = &path_with_query
            && PathAndQuery::from_str(p).is_err()
        {
            return Ok(Err(()));
        }
        this.path_with_query = path_with_query;
        Ok(Ok(()))
    }

    fn outgoing_request_scheme(&mut self, this: &mut OutgoingRequest) -> Result<Option<Scheme>> {
        Ok(this.scheme.clone())
    }

    fn outgoing_request_set_scheme(
        &mut self,
        this: &mut OutgoingRequest,
        scheme: Option<Scheme>,
    ) -> Result<Result<(), ()>> {
        if scheme.as_ref().is_some_and(|s| !valid_scheme(s)) {
            return Ok(Err(()));
        }
        this.scheme = scheme;
        Ok(Ok(()))
    }

    fn outgoing_request_authority(&mut self, this: &mut OutgoingRequest) -> Result<Option<String>> {
        Ok(this.authority.clone())
    }

    fn outgoing_request_set_authority(
        &mut self,
        this: &mut OutgoingRequest,
        authority: Option<String>,
    ) -> Result<Result<(), ()>> {
        if let Some(a) = &authority
            && Authority::from_str(a).is_err()
        {
            return Ok(Err(()));
        }
        this.authority = authority;
        Ok(Ok(()))
    }

    fn outgoing_request_headers(&mut self, this: &mut OutgoingRequest) -> Result<Fields> {
        Ok(Fields::immutable(this.headers.clone()))
    }

    fn request_options_new(&mut self) -> Result<RequestOptions> {
        Ok(RequestOptions::default())
    }

    fn request_options_connect_timeout(
        &mut self,
        this: &mut RequestOptions,
    ) -> Result<Option<u64>> {
        Ok(from_duration(this.connect))
    }

    fn request_options_set_connect_timeout(
        &mut self,
        this: &mut RequestOptions,
        duration: Option<u64>,
    ) -> Result<Result<(), ()>> {
        this.connect = to_duration(duration);
        Ok(Ok(()))
    }

    fn request_options_first_byte_timeout(
        &mut self,
        this: &mut RequestOptions,
    ) -> Result<Option<u64>> {
        Ok(from_duration(this.first_byte))
    }

    fn request_options_set_first_byte_timeout(
        &mut self,
        this: &mut RequestOptions,
        duration: Option<u64>,
    ) -> Result<Result<(), ()>> {
        this.first_byte = to_duration(duration);
        Ok(Ok(()))
    }

    fn request_options_between_bytes_timeout(
        &mut self,
        this: &mut RequestOptions,
    ) -> Result<Option<u64>> {
        Ok(from_duration(this.between_bytes))
    }

    fn request_options_set_between_bytes_timeout(
        &mut self,
        this: &mut RequestOptions,
        duration: Option<u64>,
    ) -> Result<Result<(), ()>> {
        this.between_bytes = to_duration(duration);
        Ok(Ok(()))
    }

    fn response_outparam_set(
        &mut self,
        mut param: ResponseOutparam,
        response: Result<OutgoingResponse, ErrorCode>,
    ) -> Result<()> {
        let Some(tx) = param.tx.take() else {
            bail!("response-outparam.set: the response was already set");
        };
        let answer = match response {
            Ok(r) => {
                let signal = self.http().signal.clone();
                let pipe = r.body.unwrap_or_else(|| Pipe::empty(signal));
                let mut resp = http::Response::new(PipeBody::response(pipe));
                *resp.status_mut() = http::StatusCode::from_u16(r.status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
                *resp.headers_mut() = r.headers;
                Ok(resp)
            }
            Err(code) => Err(code),
        };
        // The server may have stopped waiting (its client left): nothing to do then.
        let _ = tx.send(answer);
        Ok(())
    }

    fn incoming_response_status(&mut self, this: &mut IncomingResponse) -> Result<u16> {
        Ok(this.status)
    }

    fn incoming_response_headers(&mut self, this: &mut IncomingResponse) -> Result<Fields> {
        Ok(Fields::immutable(this.headers.clone()))
    }

    fn incoming_response_consume(
        &mut self,
        this: &mut IncomingResponse,
    ) -> Result<Result<IncomingBody, ()>> {
        Ok(this.body.take().map(IncomingBody::new).ok_or(()))
    }

    fn incoming_body_stream(&mut self, this: &mut IncomingBody) -> Result<Result<InputStream, ()>> {
        if this.stream_taken {
            return Ok(Err(()));
        }
        this.stream_taken = true;
        Ok(Ok(InputStream::host(Box::new(PipeReader {
            pipe: this.pipe.clone(),
            counter: Some(self.http().body_bytes.clone()),
        }))))
    }

    fn incoming_body_finish(&mut self, mut this: IncomingBody) -> Result<FutureTrailers> {
        this.finished = true;
        this.pipe.discard();
        Ok(FutureTrailers {
            pipe: this.pipe.clone(),
            taken: false,
        })
    }

    fn future_trailers_subscribe(&mut self, this: &mut FutureTrailers) -> Result<Pollable> {
        Ok(Pollable::host(Arc::new(PipeReady(
            this.pipe.clone(),
            Wait::End,
        ))))
    }

    #[allow(clippy::type_complexity)]
    fn future_trailers_get(
        &mut self,
        this: &mut FutureTrailers,
    ) -> Result<Option<Result<Result<Option<Fields>, ErrorCode>, ()>>> {
        let Some(end) = this.pipe.end() else {
            return Ok(None);
        };
        if this.taken {
            return Ok(Some(Err(())));
        }
        this.taken = true;
        Ok(Some(Ok(match end {
            End::Done(trailers) => Ok(trailers.map(Fields::immutable)),
            End::Failed(code) => Err(code),
        })))
    }

    fn outgoing_response_new(&mut self, headers: Fields) -> Result<OutgoingResponse> {
        Ok(OutgoingResponse {
            status: 200,
            headers: headers.into_map(),
            body: None,
        })
    }

    fn outgoing_response_status_code(&mut self, this: &mut OutgoingResponse) -> Result<u16> {
        Ok(this.status)
    }

    fn outgoing_response_set_status_code(
        &mut self,
        this: &mut OutgoingResponse,
        status_code: u16,
    ) -> Result<Result<(), ()>> {
        if !(100..=999).contains(&status_code) {
            return Ok(Err(()));
        }
        this.status = status_code;
        Ok(Ok(()))
    }

    fn outgoing_response_headers(&mut self, this: &mut OutgoingResponse) -> Result<Fields> {
        Ok(Fields::immutable(this.headers.clone()))
    }

    fn outgoing_response_body(
        &mut self,
        this: &mut OutgoingResponse,
    ) -> Result<Result<OutgoingBody, ()>> {
        if this.body.is_some() {
            return Ok(Err(()));
        }
        let pipe = Pipe::with_length(
            self.http().signal.clone(),
            content_length(&this.headers),
            false,
        );
        this.body = Some(pipe.clone());
        Ok(Ok(OutgoingBody {
            pipe,
            stream_taken: false,
            finished: false,
        }))
    }

    fn outgoing_body_write(&mut self, this: &mut OutgoingBody) -> Result<Result<OutputStream, ()>> {
        if this.stream_taken {
            return Ok(Err(()));
        }
        this.stream_taken = true;
        Ok(Ok(OutputStream::host(Box::new(PipeWriter {
            pipe: this.pipe.clone(),
        }))))
    }

    fn outgoing_body_finish(
        &mut self,
        mut this: OutgoingBody,
        trailers: Option<Fields>,
    ) -> Result<Result<(), ErrorCode>> {
        this.finished = true;
        // A body whose receiver already failed reports why.
        if let Some(End::Failed(code)) = this.pipe.end() {
            return Ok(Err(code));
        }
        if let Some(code) = this.pipe.short_of_length() {
            this.pipe.fail(code.clone());
            return Ok(Err(code));
        }
        this.pipe.finish(trailers.map(Fields::into_map));
        Ok(Ok(()))
    }

    fn future_incoming_response_subscribe(
        &mut self,
        this: &mut FutureIncomingResponse,
    ) -> Result<Pollable> {
        Ok(Pollable::host(this.slot.clone()))
    }

    #[allow(clippy::type_complexity)]
    fn future_incoming_response_get(
        &mut self,
        this: &mut FutureIncomingResponse,
    ) -> Result<Option<Result<Result<IncomingResponse, ErrorCode>, ()>>> {
        let mut state = this
            .slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Waiting => {
                *state = SlotState::Waiting;
                Ok(None)
            }
            SlotState::Ready(r) => Ok(Some(Ok(r))),
            SlotState::Taken => Ok(Some(Err(()))),
        }
    }

    fn http_error_code(&mut self, err: &mut IoError) -> Result<Option<ErrorCode>> {
        Ok(err
            .detail()
            .and_then(|d| d.downcast_ref::<ErrorCode>())
            .cloned())
    }
}
