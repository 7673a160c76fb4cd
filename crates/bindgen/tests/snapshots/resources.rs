/// The world `resources`: its exports, called through typed functions.
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct Resources {
    counters: self::exports::test::resources::counters::Guest,
}
impl Resources {
    /// Instantiates `component` with the imports `linker` defines, and finds its
    /// exports.
    pub fn instantiate<T: 'static>(
        mut store: impl ::tether::AsContextMut<Data = T>,
        component: &::tether::Component,
        linker: &::tether::Linker<T>,
    ) -> ::tether::Result<Resources> {
        let instance = linker.instantiate(&mut store, component)?;
        Resources::new(store, &instance)
    }
    /// Finds the world's exports in `instance` and checks their types.
    pub fn new(
        mut store: impl ::tether::AsContextMut,
        instance: &::tether::Instance,
    ) -> ::tether::Result<Resources> {
        let counters = self::exports::test::resources::counters::Guest::new(
            &mut store,
            instance,
        )?;
        Ok(Resources { counters })
    }
    /// Defines every import of the world in `linker`, implemented by `T`.
    pub fn add_to_linker<T>(linker: &mut ::tether::Linker<T>) -> ::tether::Result<()>
    where
        T: self::test::resources::store::Host + Send + 'static,
    {
        self::test::resources::store::add_to_linker(linker)?;
        Ok(())
    }
    /// The functions of the exported interface.
    pub fn counters(&self) -> &self::exports::test::resources::counters::Guest {
        &self.counters
    }
}
pub mod test {
    pub mod resources {
        /// Host resources: objects of the embedder's Rust types.
        pub mod store {
            /// A handle that stays a handle: inside a record.
            #[derive(::tether::ComponentType, Debug)]
            #[component(bound = "Bucket: Send + 'static")]
            pub struct Entry<Bucket> {
                pub bucket: ::tether::Own<Bucket>,
                pub key: String,
            }
            /// A borrowed bucket inside a record.
            #[derive(::tether::ComponentType, Debug)]
            #[component(bound = "Bucket: Send + 'static")]
            pub struct Lookup<Bucket> {
                pub bucket: ::tether::Borrow<Bucket>,
                pub key: String,
            }
            /// A handle in a variant case.
            #[derive(::tether::ComponentType, Debug)]
            #[component(bound = "Bucket: Send + 'static")]
            pub enum Slot<Bucket> {
                Empty,
                Full(::tether::Own<Bucket>),
            }
            #[derive(::tether::ComponentType, Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum Error {
                NotFound,
                Denied,
            }
            /// What the embedder implements, on its store's data type, to provide the interface `test:resources/store`.
            ///
            /// An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.
            pub trait Host: Sized + Send + 'static {
                /// A key-value bucket kept by the host.
                ///
                /// The Rust type of the resource `bucket`: its objects live in the store.
                type Bucket: Send + 'static;
                /// Reads the keys of a bucket.
                ///
                /// The Rust type of the resource `cursor`: its objects live in the store.
                type Cursor: Send + 'static;
                /// A new empty bucket.
                fn bucket_new(&mut self, name: String) -> ::tether::Result<Self::Bucket>;
                /// Reads a key; borrows the bucket.
                fn bucket_get(
                    &mut self,
                    this: &mut Self::Bucket,
                    key: String,
                ) -> ::tether::Result<Option<Vec<u8>>>;
                /// Writes a key.
                fn bucket_set(
                    &mut self,
                    this: &mut Self::Bucket,
                    key: String,
                    value: Vec<u8>,
                ) -> ::tether::Result<()>;
                /// Whether `other` is this very bucket: a second borrow in the same call.
                fn bucket_same(
                    store: ::tether::StoreContextMut<'_, Self>,
                    this: &mut Self::Bucket,
                    other: ::tether::Borrow<Self::Bucket>,
                ) -> ::tether::Result<bool>;
                /// Merges `others` into a new bucket: consumes them.
                fn bucket_merge(
                    &mut self,
                    others: Vec<Self::Bucket>,
                ) -> ::tether::Result<Self::Bucket>;
                /// Consumes the bucket, returning its name.
                fn bucket_close(
                    &mut self,
                    this: Self::Bucket,
                ) -> ::tether::Result<String>;
                /// A bucket, if one is named `name`.
                fn bucket_open(
                    &mut self,
                    name: String,
                ) -> ::tether::Result<Result<Self::Bucket, Error>>;
                /// A cursor over the keys: a child of the bucket (the `children` option), which cannot
                /// be dropped or consumed while the cursor lives.
                fn bucket_keys(
                    &mut self,
                    this: &mut Self::Bucket,
                    prefix: String,
                ) -> ::tether::Result<Result<Self::Cursor, Error>>;
                /// Renames the bucket; a revoked bucket gives `denied` (the `revoked` option).
                fn bucket_rename(
                    &mut self,
                    this: &mut Self::Bucket,
                    name: String,
                ) -> ::tether::Result<Result<(), Error>>;
                fn cursor_next(
                    &mut self,
                    this: &mut Self::Cursor,
                ) -> ::tether::Result<Option<String>>;
                /// Handles in a list of borrows, a tuple, an option and a result.
                fn count(
                    store: ::tether::StoreContextMut<'_, Self>,
                    buckets: Vec<::tether::Borrow<Self::Bucket>>,
                ) -> ::tether::Result<u32>;
                fn pair(
                    &mut self,
                    a: String,
                    b: String,
                ) -> ::tether::Result<(Self::Bucket, Self::Bucket)>;
                fn maybe(
                    &mut self,
                    b: Option<Self::Bucket>,
                ) -> ::tether::Result<Option<Self::Bucket>>;
                fn first(
                    store: ::tether::StoreContextMut<'_, Self>,
                    e: Entry<Self::Bucket>,
                ) -> ::tether::Result<Slot<Self::Bucket>>;
                fn find(
                    store: ::tether::StoreContextMut<'_, Self>,
                    l: Lookup<Self::Bucket>,
                ) -> ::tether::Result<Result<Entry<Self::Bucket>, Error>>;
            }
            /// Defines the interface `test:resources/store` in `linker`, implemented by `T`'s `Host` methods.
            pub fn add_to_linker<T: Host + Send + 'static>(
                linker: &mut ::tether::Linker<T>,
            ) -> ::tether::Result<()> {
                let mut inst = linker.instance("test:resources/store")?;
                inst.resource_host::<<T as Host>::Bucket>("bucket")?;
                inst.resource_host::<<T as Host>::Cursor>("cursor")?;
                inst.func_wrap(
                    "[constructor]bucket",
                    |mut store: ::tether::StoreContextMut<'_, T>, (name,): (String,)| {
                        let ret = <T as Host>::bucket_new(store.data_mut(), name)?;
                        Ok((store.push(ret)?,))
                    },
                )?;
                inst.method(
                    "[method]bucket.get",
                    |
                        this: &mut <T as Host>::Bucket,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (key,): (String,)|
                    {
                        let ret = <T as Host>::bucket_get(store.data_mut(), this, key)?;
                        Ok((ret,))
                    },
                )?;
                inst.method(
                    "[method]bucket.set",
                    |
                        this: &mut <T as Host>::Bucket,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (key, value): (String, Vec<u8>)|
                    {
                        <T as Host>::bucket_set(store.data_mut(), this, key, value)?;
                        Ok(())
                    },
                )?;
                inst.method(
                    "[method]bucket.same",
                    |
                        this: &mut <T as Host>::Bucket,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (other,): (::tether::Borrow<<T as Host>::Bucket>,)|
                    {
                        let ret = <T as Host>::bucket_same(
                            ::tether::AsContextMut::as_context_mut(&mut store),
                            this,
                            other,
                        )?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "[static]bucket.merge",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (others,): (Vec<::tether::Own<<T as Host>::Bucket>>,)|
                    {
                        let others = {
                            let list1 = others;
                            let mut out2 = Vec::with_capacity(list1.len());
                            for x0 in list1 {
                                out2.push(store.take(x0)?);
                            }
                            out2
                        };
                        let ret = <T as Host>::bucket_merge(store.data_mut(), others)?;
                        Ok((store.push(ret)?,))
                    },
                )?;
                inst.func_wrap(
                    "[static]bucket.close",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (this,): (::tether::Own<<T as Host>::Bucket>,)|
                    {
                        let this = store.take(this)?;
                        let ret = <T as Host>::bucket_close(store.data_mut(), this)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "[static]bucket.open",
                    |mut store: ::tether::StoreContextMut<'_, T>, (name,): (String,)| {
                        let ret = <T as Host>::bucket_open(store.data_mut(), name)?;
                        Ok((
                            match ret {
                                Ok(x0) => Ok(store.push(x0)?),
                                Err(x0) => Err(x0),
                            },
                        ))
                    },
                )?;
                inst.func_wrap(
                    "[method]bucket.keys",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (
                            parent_,
                            prefix,
                        ): (::tether::Borrow<<T as Host>::Bucket>, String)|
                    {
                        let ret = store
                            .lend(
                                &parent_,
                                |
                                    this: &mut <T as Host>::Bucket,
                                    mut store: ::tether::StoreContextMut<'_, T>|
                                <T as Host>::bucket_keys(store.data_mut(), this, prefix),
                            )?;
                        Ok((
                            match ret {
                                Ok(x0) => Ok(store.push_child(&parent_, x0)?),
                                Err(x0) => Err(x0),
                            },
                        ))
                    },
                )?;
                inst.method_or_revoked(
                    "[method]bucket.rename",
                    |
                        this: &mut <T as Host>::Bucket,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (name,): (String,)|
                    {
                        let ret = <T as Host>::bucket_rename(
                            store.data_mut(),
                            this,
                            name,
                        )?;
                        Ok((ret,))
                    },
                    |_store: ::tether::StoreContextMut<'_, T>, (name,): (String,)| {
                        let _ = (name,);
                        Ok((Err(Error::Denied),))
                    },
                )?;
                inst.method(
                    "[method]cursor.next",
                    |
                        this: &mut <T as Host>::Cursor,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (): ()|
                    {
                        let ret = <T as Host>::cursor_next(store.data_mut(), this)?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "count",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (buckets,): (Vec<::tether::Borrow<<T as Host>::Bucket>>,)|
                    {
                        let ret = <T as Host>::count(
                            ::tether::AsContextMut::as_context_mut(&mut store),
                            buckets,
                        )?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "pair",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (a, b): (String, String)|
                    {
                        let ret = <T as Host>::pair(store.data_mut(), a, b)?;
                        Ok((
                            {
                                let (x0, x1) = ret;
                                (store.push(x0)?, store.push(x1)?)
                            },
                        ))
                    },
                )?;
                inst.func_wrap(
                    "maybe",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (b,): (Option<::tether::Own<<T as Host>::Bucket>>,)|
                    {
                        let b = match b {
                            Some(x0) => Some(store.take(x0)?),
                            None => None,
                        };
                        let ret = <T as Host>::maybe(store.data_mut(), b)?;
                        Ok((
                            match ret {
                                Some(x1) => Some(store.push(x1)?),
                                None => None,
                            },
                        ))
                    },
                )?;
                inst.func_wrap(
                    "first",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (e,): (Entry<<T as Host>::Bucket>,)|
                    {
                        let ret = <T as Host>::first(
                            ::tether::AsContextMut::as_context_mut(&mut store),
                            e,
                        )?;
                        Ok((ret,))
                    },
                )?;
                inst.func_wrap(
                    "find",
                    |
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (l,): (Lookup<<T as Host>::Bucket>,)|
                    {
                        let ret = <T as Host>::find(
                            ::tether::AsContextMut::as_context_mut(&mut store),
                            l,
                        )?;
                        Ok((ret,))
                    },
                )?;
                Ok(())
            }
        }
    }
}
pub mod exports {
    pub mod test {
        pub mod resources {
            /// Guest resources: the host holds typed handles.
            pub mod counters {
                /// A counter in the guest.
                ///
                /// An owned handle to a `counter` of the guest.
                #[derive(Debug, PartialEq, Eq)]
                pub struct Counter(::tether::ResourceAny);
                impl Counter {
                    /// A typed handle from a dynamically typed one, which must be an owned handle
                    /// to this resource type.
                    pub fn from_resource(resource: ::tether::ResourceAny) -> Counter {
                        Counter(resource)
                    }
                    /// The dynamically typed handle.
                    pub fn resource(&self) -> ::tether::ResourceAny {
                        self.0
                    }
                    /// Drops the resource: the guest's destructor runs.
                    pub fn resource_drop(
                        self,
                        store: impl ::tether::AsContextMut,
                    ) -> ::tether::Result<()> {
                        ::tether::ResourceAnyExt::resource_drop(self.0, store)
                    }
                }
                impl ::tether::ComponentType for Counter {
                    fn typecheck(ty: &::tether::Type) -> ::tether::Result<()> {
                        match ty {
                            ::tether::Type::Own(_) => Ok(()),
                            _ => {
                                Err(
                                    ::tether::Error::msg(
                                        ::std::format!(
                                            "type mismatch: expected `{ty}`, found Rust type `Counter`"
                                        ),
                                    ),
                                )
                            }
                        }
                    }
                    fn to_val(&self) -> ::tether::Val {
                        ::tether::Val::Resource(self.0)
                    }
                    fn from_val(v: ::tether::Val) -> ::tether::Result<Self> {
                        match v {
                            ::tether::Val::Resource(r) if r.owned() => Ok(Counter(r)),
                            v => {
                                Err(
                                    ::tether::Error::msg(
                                        ::std::format!(
                                            "type mismatch: expected an owned `counter` handle, found {v:?}"
                                        ),
                                    ),
                                )
                            }
                        }
                    }
                }
                #[derive(::tether::ComponentType, Debug)]
                pub struct Pair {
                    pub a: Counter,
                    pub b: Counter,
                }
                impl Counter {
                    ///
                    /// Calls `[constructor]counter` through [`Guest::call_counter_new`].
                    pub fn new(
                        store: impl ::tether::AsContextMut,
                        guest: &Guest,
                        start: u32,
                    ) -> ::tether::Result<Counter> {
                        guest.call_counter_new(store, start)
                    }
                    ///
                    /// Calls `[method]counter.get` through [`Guest::call_counter_get`].
                    pub fn get(
                        &self,
                        store: impl ::tether::AsContextMut,
                        guest: &Guest,
                    ) -> ::tether::Result<u32> {
                        guest.call_counter_get(store, self)
                    }
                    ///
                    /// Calls `[method]counter.add` through [`Guest::call_counter_add`].
                    pub fn add(
                        &self,
                        store: impl ::tether::AsContextMut,
                        guest: &Guest,
                        other: &Counter,
                    ) -> ::tether::Result<u32> {
                        guest.call_counter_add(store, self, other)
                    }
                    ///
                    /// Calls `[static]counter.make` through [`Guest::call_counter_make`].
                    pub fn make(
                        store: impl ::tether::AsContextMut,
                        guest: &Guest,
                        start: u32,
                    ) -> ::tether::Result<Counter> {
                        guest.call_counter_make(store, start)
                    }
                    ///
                    /// Calls `[static]counter.finish` through [`Guest::call_counter_finish`].
                    pub fn finish(
                        self,
                        store: impl ::tether::AsContextMut,
                        guest: &Guest,
                    ) -> ::tether::Result<u32> {
                        guest.call_counter_finish(store, self)
                    }
                    /// Saves into a host bucket, lent by the host.
                    ///
                    /// Calls `[method]counter.save` through [`Guest::call_counter_save`].
                    pub fn save<S: ::tether::AsContextMut>(
                        &self,
                        store: S,
                        guest: &Guest,
                        into: ::tether::Borrow<
                            <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                        >,
                    ) -> ::tether::Result<()>
                    where
                        S::Data: super::super::super::super::test::resources::store::Host,
                    {
                        guest.call_counter_save(store, self, into)
                    }
                }
                /// The functions of the interface `test:resources/counters` that the guest exports.
                #[derive(Clone)]
                #[allow(clippy::type_complexity)]
                pub struct Guest {
                    counter_new: ::tether::TypedFunc<(u32,), (Counter,)>,
                    counter_get: ::tether::TypedFunc<(::tether::ResourceAny,), (u32,)>,
                    counter_add: ::tether::TypedFunc<
                        (::tether::ResourceAny, ::tether::ResourceAny),
                        (u32,),
                    >,
                    counter_make: ::tether::TypedFunc<(u32,), (Counter,)>,
                    counter_finish: ::tether::TypedFunc<(Counter,), (u32,)>,
                    counter_save: ::tether::Func,
                    sum: ::tether::TypedFunc<(Vec<::tether::ResourceAny>,), (u32,)>,
                    split: ::tether::TypedFunc<(Pair,), ((Counter, Counter),)>,
                    fill: ::tether::Func,
                }
                impl Guest {
                    /// Finds the interface's functions in `instance` and checks their types.
                    pub fn new(
                        mut store: impl ::tether::AsContextMut,
                        instance: &::tether::Instance,
                    ) -> ::tether::Result<Guest> {
                        let counter_new = Self::typed(
                            Self::func(&mut store, instance, "[constructor]counter")?,
                            "[constructor]counter",
                        )?;
                        let counter_get = Self::typed(
                            Self::func(&mut store, instance, "[method]counter.get")?,
                            "[method]counter.get",
                        )?;
                        let counter_add = Self::typed(
                            Self::func(&mut store, instance, "[method]counter.add")?,
                            "[method]counter.add",
                        )?;
                        let counter_make = Self::typed(
                            Self::func(&mut store, instance, "[static]counter.make")?,
                            "[static]counter.make",
                        )?;
                        let counter_finish = Self::typed(
                            Self::func(&mut store, instance, "[static]counter.finish")?,
                            "[static]counter.finish",
                        )?;
                        let counter_save = Self::func(
                            &mut store,
                            instance,
                            "[method]counter.save",
                        )?;
                        Self::typed::<
                            (::tether::ResourceAny, ::tether::Borrow<()>),
                            (),
                        >(counter_save.clone(), "[method]counter.save")?;
                        let sum = Self::typed(
                            Self::func(&mut store, instance, "sum")?,
                            "sum",
                        )?;
                        let split = Self::typed(
                            Self::func(&mut store, instance, "split")?,
                            "split",
                        )?;
                        let fill = Self::func(&mut store, instance, "fill")?;
                        Self::typed::<
                            (::tether::Own<()>,),
                            (::tether::Own<()>,),
                        >(fill.clone(), "fill")?;
                        Ok(Guest {
                            counter_new,
                            counter_get,
                            counter_add,
                            counter_make,
                            counter_finish,
                            counter_save,
                            sum,
                            split,
                            fill,
                        })
                    }
                    fn func(
                        store: &mut impl ::tether::AsContextMut,
                        instance: &::tether::Instance,
                        name: &str,
                    ) -> ::tether::Result<::tether::Func> {
                        instance
                            .get_func_at(&mut *store, &["test:resources/counters", name])
                            .ok_or_else(|| ::tether::Error::msg(
                                ::std::format!(
                                    "the component exports no function `test:resources/counters#{name}`"
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
                                            "exported function `test:resources/counters#{name}` has the wrong type"
                                        ),
                                    )
                            })
                    }
                    pub fn call_counter_new(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        start: u32,
                    ) -> ::tether::Result<Counter> {
                        let (ret,) = self.counter_new.call(&mut store, (start,))?;
                        Ok(ret)
                    }
                    pub fn call_counter_get(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        this: &Counter,
                    ) -> ::tether::Result<u32> {
                        let (ret,) = self
                            .counter_get
                            .call(&mut store, (this.resource().borrowed(),))?;
                        Ok(ret)
                    }
                    pub fn call_counter_add(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        this: &Counter,
                        other: &Counter,
                    ) -> ::tether::Result<u32> {
                        let (ret,) = self
                            .counter_add
                            .call(
                                &mut store,
                                (this.resource().borrowed(), other.resource().borrowed()),
                            )?;
                        Ok(ret)
                    }
                    pub fn call_counter_make(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        start: u32,
                    ) -> ::tether::Result<Counter> {
                        let (ret,) = self.counter_make.call(&mut store, (start,))?;
                        Ok(ret)
                    }
                    pub fn call_counter_finish(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        this: Counter,
                    ) -> ::tether::Result<u32> {
                        let (ret,) = self.counter_finish.call(&mut store, (this,))?;
                        Ok(ret)
                    }
                    /// Saves into a host bucket, lent by the host.
                    pub fn call_counter_save<S: ::tether::AsContextMut>(
                        &self,
                        mut store: S,
                        this: &Counter,
                        into: ::tether::Borrow<
                            <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                        >,
                    ) -> ::tether::Result<()>
                    where
                        S::Data: super::super::super::super::test::resources::store::Host,
                    {
                        let params: (
                            ::tether::ResourceAny,
                            ::tether::Borrow<
                                <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                            >,
                        ) = (this.resource().borrowed(), into);
                        let mut results = ::std::vec![
                            ::tether::Val::Bool(false); 0usize
                        ];
                        self.counter_save
                            .call(
                                &mut store,
                                &::tether::ComponentNamedList::to_vals(&params),
                                &mut results,
                            )?;
                        let (): () = ::tether::ComponentNamedList::from_vals(results)?;
                        Ok(())
                    }
                    pub fn call_sum(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        counters: Vec<::tether::ResourceAny>,
                    ) -> ::tether::Result<u32> {
                        let (ret,) = self.sum.call(&mut store, (counters,))?;
                        Ok(ret)
                    }
                    pub fn call_split(
                        &self,
                        mut store: impl ::tether::AsContextMut,
                        p: Pair,
                    ) -> ::tether::Result<(Counter, Counter)> {
                        let (ret,) = self.split.call(&mut store, (p,))?;
                        Ok(ret)
                    }
                    /// Takes a host bucket from the host.
                    pub fn call_fill<S: ::tether::AsContextMut>(
                        &self,
                        mut store: S,
                        b: ::tether::Own<
                            <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                        >,
                    ) -> ::tether::Result<
                        ::tether::Own<
                            <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                        >,
                    >
                    where
                        S::Data: super::super::super::super::test::resources::store::Host,
                    {
                        let params: (
                            ::tether::Own<
                                <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                            >,
                        ) = (b,);
                        let mut results = ::std::vec![
                            ::tether::Val::Bool(false); 1usize
                        ];
                        self.fill
                            .call(
                                &mut store,
                                &::tether::ComponentNamedList::to_vals(&params),
                                &mut results,
                            )?;
                        let (
                            ret,
                        ): (
                            ::tether::Own<
                                <S::Data as super::super::super::super::test::resources::store::Host>::Bucket,
                            >,
                        ) = ::tether::ComponentNamedList::from_vals(results)?;
                        Ok(ret)
                    }
                }
            }
        }
    }
}
