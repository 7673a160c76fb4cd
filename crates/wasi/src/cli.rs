//! `wasi:cli`: arguments, environment, exit, stdio and terminals.

use anyhow::Result;

use crate::bindings::wasi::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use crate::io::{In, InputStream, Out, OutputStream};
use crate::stdio::{TerminalInput, TerminalOutput};
use crate::{I32Exit, WasiView};

impl<T: WasiView> environment::Host for T {
    fn get_environment(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.ctx().env.clone())
    }

    fn get_arguments(&mut self) -> Result<Vec<String>> {
        Ok(self.ctx().args.clone())
    }

    fn initial_cwd(&mut self) -> Result<Option<String>> {
        Ok(None)
    }
}

impl<T: WasiView> exit::Host for T {
    fn exit(&mut self, status: Result<(), ()>) -> Result<()> {
        Err(I32Exit(if status.is_ok() { 0 } else { 1 }).into())
    }

    fn exit_with_code(&mut self, status_code: u8) -> Result<()> {
        Err(I32Exit(i32::from(status_code)).into())
    }
}

impl<T: WasiView> stdin::Host for T {
    fn get_stdin(&mut self) -> Result<InputStream> {
        Ok(InputStream(In::Stdin(self.ctx().stdin.clone())))
    }
}

impl<T: WasiView> stdout::Host for T {
    fn get_stdout(&mut self) -> Result<OutputStream> {
        Ok(OutputStream(Out::Stdio(self.ctx().stdout.clone())))
    }
}

impl<T: WasiView> stderr::Host for T {
    fn get_stderr(&mut self) -> Result<OutputStream> {
        Ok(OutputStream(Out::Stdio(self.ctx().stderr.clone())))
    }
}

impl<T: WasiView> terminal_input::Host for T {}
impl<T: WasiView> terminal_output::Host for T {}

impl<T: WasiView> terminal_stdin::Host for T {
    fn get_terminal_stdin(&mut self) -> Result<Option<TerminalInput>> {
        Ok(self.ctx().terminal[0].then_some(TerminalInput))
    }
}

impl<T: WasiView> terminal_stdout::Host for T {
    fn get_terminal_stdout(&mut self) -> Result<Option<TerminalOutput>> {
        Ok(self.ctx().terminal[1].then_some(TerminalOutput))
    }
}

impl<T: WasiView> terminal_stderr::Host for T {
    fn get_terminal_stderr(&mut self) -> Result<Option<TerminalOutput>> {
        Ok(self.ctx().terminal[2].then_some(TerminalOutput))
    }
}
