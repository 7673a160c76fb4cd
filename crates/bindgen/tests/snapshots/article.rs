/// The world `article`: its exports, called through typed functions.
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct Article {
    run: self::exports::tether::article::run::Guest,
}
impl Article {
    /// Instantiates `component` with the imports `linker` defines, and finds its
    /// exports.
    pub fn instantiate<T: 'static>(
        mut store: impl ::tether::AsContextMut<Data = T>,
        component: &::tether::Component,
        linker: &::tether::Linker<T>,
    ) -> ::tether::Result<Article> {
        let instance = linker.instantiate(&mut store, component)?;
        Article::new(store, &instance)
    }
    /// Finds the world's exports in `instance` and checks their types.
    pub fn new(
        mut store: impl ::tether::AsContextMut,
        instance: &::tether::Instance,
    ) -> ::tether::Result<Article> {
        let run = self::exports::tether::article::run::Guest::new(&mut store, instance)?;
        Ok(Article { run })
    }
    /// Defines every import of the world in `linker`, implemented by `T`.
    pub fn add_to_linker<T>(linker: &mut ::tether::Linker<T>) -> ::tether::Result<()>
    where
        T: self::tether::article::http::Host + Send + 'static,
    {
        self::tether::article::http::add_to_linker(linker)?;
        Ok(())
    }
    /// The functions of the exported interface.
    pub fn run(&self) -> &self::exports::tether::article::run::Guest {
        &self.run
    }
}
pub mod tether {
    pub mod article {
        /// The host's HTTP client.
        pub mod http {
            /// What the embedder implements, on its store's data type, to provide the interface `tether:article/http`.
            ///
            /// An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.
            pub trait Host: Sized + Send + 'static {
                /// A response that lives in the host; the guest holds a handle to it.
                ///
                /// The Rust type of the resource `response`: its objects live in the store.
                type Response: Send + 'static;
                /// A new response, made by the guest but kept by the host.
                fn response_new(
                    &mut self,
                    body: Vec<u8>,
                    status: u16,
                ) -> ::tether::Result<Self::Response>;
                /// The status code; borrows the response, which lives on.
                fn response_status(
                    &mut self,
                    this: &mut Self::Response,
                ) -> ::tether::Result<u16>;
                /// The body; consumes the response, which cannot be used again.
                fn response_body(
                    &mut self,
                    this: Self::Response,
                ) -> ::tether::Result<Vec<u8>>;
                /// A response with status 404 and an empty body.
                fn response_not_found(&mut self) -> ::tether::Result<Self::Response>;
                /// Fetches `url`.
                fn fetch(&mut self, url: String) -> ::tether::Result<Self::Response>;
            }
            /// Defines the interface `tether:article/http` in `linker`, implemented by `T`'s `Host` methods.
            pub fn add_to_linker<T: Host + Send + 'static>(
                linker: &mut ::tether::Linker<T>,
            ) -> ::tether::Result<()> {
                let mut inst = linker.instance("tether:article/http")?;
                inst.resource_host::<<T as Host>::Response>("response")?;
                inst.func_wrap(
                    "[constructor]response",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (body, status): (Vec<u8>, u16)|
                    {
                        let ret = <T as Host>::response_new(
                            store.data_mut(),
                            body,
                            status,
                        )?;
                        Ok((store.push(ret)?,))
                    },
                )?;
                inst.method(
                    "[method]response.status",
                    |
                        this: &mut <T as Host>::Response,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (): ()|
                    {
                        let ret = <T as Host>::response_status(store.data_mut(), this)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "[static]response.body",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (this,): (::tether::Own<<T as Host>::Response>,)|
                    {
                        let this = store.take(this)?;
                        let ret = <T as Host>::response_body(store.data_mut(), this)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "[static]response.not-found",
                    |mut store: ::tether::StoreContextMut<'_, T>, (): ()| {
                        let ret = <T as Host>::response_not_found(store.data_mut())?;
                        Ok((store.push(ret)?,))
                    },
                )?;
                inst.func_wrap(
                    "fetch",
                    |mut store: ::tether::StoreContextMut<'_, T>, (url,): (String,)| {
                        let ret = <T as Host>::fetch(store.data_mut(), url)?;
                        Ok((store.push(ret)?,))
                    },
                )?;
                Ok(())
            }
        }
    }
}
pub mod exports {
    pub mod tether {
        pub mod article {
            /// What the test calls.
            pub mod run {
                /// The functions of the interface `tether:article/run` that the guest exports.
                #[derive(Clone)]
                #[allow(clippy::type_complexity)]
                pub struct Guest {
                    status_of: ::tether::TypedFunc<(String,), (u16,)>,
                    body_of: ::tether::TypedFunc<(String,), (Vec<u8>,)>,
                    construct_and_read: ::tether::TypedFunc<
                        (Vec<u8>, u16),
                        ((u16, Vec<u8>),),
                    >,
                    not_found_status: ::tether::TypedFunc<(), (u16,)>,
                }
                impl Guest {
                    /// Finds the interface's functions in `instance` and checks their types.
                    pub fn new(
                        mut store: impl ::tether::AsContextMut,
                        instance: &::tether::Instance,
                    ) -> ::tether::Result<Guest> {
                        let status_of = Self::typed(
                            Self::func(&mut store, instance, "status-of")?,
                            "status-of",
                        )?;
                        let body_of = Self::typed(
                            Self::func(&mut store, instance, "body-of")?,
                            "body-of",
                        )?;
                        let construct_and_read = Self::typed(
                            Self::func(&mut store, instance, "construct-and-read")?,
                            "construct-and-read",
                        )?;
                        let not_found_status = Self::typed(
                            Self::func(&mut store, instance, "not-found-status")?,
                            "not-found-status",
                        )?;
                        Ok(Guest {
                            status_of,
                            body_of,
                            construct_and_read,
                            not_found_status,
                        })
                    }
                    fn func(
                        store: &mut impl ::tether::AsContextMut,
                        instance: &::tether::Instance,
                        name: &str,
                    ) -> ::tether::Result<::tether::Func> {
                        instance
                            .get_func_at(&mut *store, &["tether:article/run", name])
                            .ok_or_else(|| ::tether::Error::msg(
                                ::std::format!(
                                    "the component exports no function `tether:article/run#{name}`"
                                ),
                            ))
                    }
                    fn typed<
                        P: ::tether::ComponentNamedList,
                        R: ::tether::ComponentNamedList,
                    >(
                        f: ::tether::Func,
                        name: &str,
                    ) -> ::tether::Result<::tether::TypedFunc<P, R>> {
                        ::tether::TypedFunc::new(f)
                            .map_err(|e| {
                                e
                                    .context(
                                        ::std::format!(
                                            "exported function `tether:article/run#{name}` has the wrong type"
                                        ),
                                    )
                            })
                    }
                    /// The status of the response to `url`; the body is never copied.
                    pub fn call_status_of(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        url: String,
                    ) -> ::tether::Result<u16> {
                        let (ret,) = self.status_of.call(&mut store, (url,))?;
                        Ok(ret)
                    }
                    /// The body of the response to `url`.
                    pub fn call_body_of(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        url: String,
                    ) -> ::tether::Result<Vec<u8>> {
                        let (ret,) = self.body_of.call(&mut store, (url,))?;
                        Ok(ret)
                    }
                    /// Builds a response in the host, then reads its status and consumes it for its body.
                    pub fn call_construct_and_read(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        body: Vec<u8>,
                        status: u16,
                    ) -> ::tether::Result<(u16, Vec<u8>)> {
                        let (ret,) = self
                            .construct_and_read
                            .call(&mut store, (body, status))?;
                        Ok(ret)
                    }
                    /// The status of `response.not-found()`.
                    pub fn call_not_found_status(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                    ) -> ::tether::Result<u16> {
                        let (ret,) = self.not_found_status.call(&mut store, ())?;
                        Ok(ret)
                    }
                }
            }
        }
    }
}
